import gzip
from datetime import date

import pytest

from crawler.discovery import Lead
from crawler.discovery.sitemaps import SitemapError, parse_sitemap

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>http://127.0.0.1:9/a</loc><lastmod>2025-02-06</lastmod>
  <news:news><news:publication><news:name>Harbor</news:name><news:language>en</news:language>
  </news:publication><news:publication_date>2025-02-04T10:00:00+00:00</news:publication_date>
  <news:title>El Salvador offers</news:title><news:keywords>El Salvador, prisons</news:keywords>
  </news:news></url>
 <url><loc> http://127.0.0.1:9/b </loc><lastmod>2025-01-02T00:00:00Z</lastmod></url>
 <url><lastmod>2025-01-02</lastmod></url>
</urlset>"""

INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://127.0.0.1:9/news.xml.gz</loc></sitemap><sitemap><loc>http://127.0.0.1:9/p.xml</loc>
</sitemap></sitemapindex>"""


def test_news_sitemap_fields_are_kept() -> None:
    sitemap = parse_sitemap(NEWS)
    assert sitemap.children == ()
    first, second = sitemap.leads
    assert first == Lead(
        url="http://127.0.0.1:9/a",
        published=date(2025, 2, 4),
        modified=date(2025, 2, 6),
        title="El Salvador offers",
        keywords=("El Salvador", "prisons"),
    )
    assert second.url == "http://127.0.0.1:9/b" and second.published is None
    assert second.modified == date(2025, 1, 2)


def test_index_and_gzip() -> None:
    assert parse_sitemap(gzip.compress(INDEX)).children == (
        "http://127.0.0.1:9/news.xml.gz",
        "http://127.0.0.1:9/p.xml",
    )
    assert len(parse_sitemap(gzip.compress(NEWS)).leads) == 2


def test_entities_are_not_expanded() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://h/&c;</loc></url>
    </urlset>"""
    leads = parse_sitemap(bomb).leads
    assert all("aaaaaaaaaa" not in lead.url for lead in leads)


def test_decompression_is_bounded() -> None:
    with pytest.raises(SitemapError, match="more than"):
        big = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
        parse_sitemap(big, max_bytes=10_000)


@pytest.mark.parametrize(
    ("body", "words"),
    [(b"<html><body>hi</body></html>", "not <urlset>"), (b"\x1f\x8bnot gzip", "bad gzip")],
)
def test_not_a_sitemap(body: bytes, words: str) -> None:
    with pytest.raises(SitemapError, match=words):
        parse_sitemap(body)
