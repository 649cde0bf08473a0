"""What the sites offer a crawler: pages, links, metadata, robots.txt, feeds and sitemaps, and
that `SimWeb.truth` describes exactly that."""

from __future__ import annotations

import gzip
import html as htmllib
from datetime import date
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from lxml import html

from crawler.core.story import parse_story
from crawler.simweb import SimArticle, SimPublisher, SimWeb
from tests.simweb.helpers import (
    SINCE,
    UNTIL,
    Response,
    article_links,
    crawlable,
    feed_dates,
    fetch,
    html_pages,
    on_topic,
    page_links,
    polite_crawl,
    sitemap_dates,
    untracked,
)

LISTINGS = {"feed", "sitemap", "robots-sitemap"}


def live(web: SimWeb) -> list[SimPublisher]:
    return [p for p in web.publishers if p.host != web.truth.failing_host]


def by_slug(web: SimWeb, slug: str) -> SimPublisher:
    return next(p for p in web.publishers if p.slug == slug)


def articles_of(web: SimWeb, publisher: SimPublisher) -> list[SimArticle]:
    return [a for a in web.truth.articles if a.host == publisher.host]


def test_no_page_links_to_another_host(web: SimWeb, pages: dict[str, Response]) -> None:
    assert len(html_pages(pages)) > 100
    for url, resp in html_pages(pages):
        host = urlsplit(url).netloc
        for target in page_links(url, resp.text):
            assert urlsplit(target).netloc == host, (url, target)
    statuses = {r.status for r in pages.values()}
    assert statuses <= {200, 301}, statuses


def test_home_links_every_section_and_the_archive(web: SimWeb, pages: dict[str, Response]) -> None:
    for publisher in live(web):
        home = pages[publisher.base_url]
        links = set(article_links(publisher.base_url, home.text))
        sections = {
            u for u in links if u.count("/") == 4 and u.endswith("/") and u != publisher.base_url
        }
        assert len(sections) >= 5, publisher.name
        assert publisher.base_url + "archive/?page=1" in links
        for section in sections:
            resp = pages[section]
            assert resp.status == 200
            section_links = set(article_links(section, resp.text)) - {*sections, publisher.base_url}
            assert any(urlsplit(u).path.count("/") >= 2 for u in section_links), section


@pytest.mark.parametrize("seed_id", ["000", "001", "002", "003", "004"])
def test_article_pages_carry_metadata(
    web: SimWeb, pages: dict[str, Response], seed_id: str
) -> None:
    article = next(a for a in web.truth.articles if a.seed_id == seed_id)
    doc = html.fromstring(pages[article.url].text)

    def meta(attr: str, name: str) -> str:
        [value] = doc.xpath(f"//meta[@{attr}='{name}']/@content")
        return str(value)

    assert doc.get("lang") == "en"
    assert article.title in doc.findtext(".//title")
    assert meta("property", "og:title") == article.title
    assert meta("property", "og:type") == "article"
    assert meta("property", "og:url") == article.url
    assert doc.xpath("//link[@rel='canonical']/@href") == [article.url]
    assert meta("property", "article:published_time")[:10] == article.published.isoformat()
    assert meta("name", "author")


def test_metadata_styles_vary_across_publishers(web: SimWeb, pages: dict[str, Response]) -> None:
    styles = set()
    for seed_id in ("000", "001", "002", "003", "004"):
        url = next(a.url for a in web.truth.articles if a.seed_id == seed_id)
        text = pages[url].text
        styles.add(("NewsArticle" in text, "<time" in text, "itemprop" in text, "@graph" in text))
    assert len(styles) >= 4


def test_every_article_page_holds_its_paragraphs_and_boilerplate(
    web: SimWeb, pages: dict[str, Response]
) -> None:
    for article in web.truth.articles:
        text = pages[article.url].text
        for paragraph in article.paragraphs:
            assert htmllib.escape(paragraph, quote=False) in text, (article.url, paragraph)
        assert article.boilerplate
        for line in article.boilerplate:
            assert htmllib.escape(line, quote=False) in text, (article.url, line)


def test_seed_boilerplate_surrounds_the_seed_text(web: SimWeb, pages: dict[str, Response]) -> None:
    from crawler.simweb.content import seeds

    for seed in seeds().values():
        article = next(a for a in web.truth.articles if a.seed_id == seed.id)
        assert article.paragraphs == seed.text.paragraphs
        lines = {line for role in seed.boilerplate.values() for line in role}
        assert lines <= set(article.boilerplate)
    captions = [f.caption for f in seeds()["003"].text.figures]
    d_url = next(a.url for a in web.truth.articles if a.seed_id == "003")
    doc = html.fromstring(pages[d_url].text)
    assert [c.text_content() for c in doc.xpath("//figcaption")] == captions


def test_robots_txt_disallows_a_linked_on_topic_article(web: SimWeb) -> None:
    [private] = web.truth.disallowed_urls
    article = web.truth.article(private)
    assert article is not None and article.on_topic and article.in_window and article.linked
    publisher = next(p for p in web.publishers if p.host == article.host)
    home = fetch(publisher.base_url)
    assert private in article_links(publisher.base_url, home.text)
    robots = RobotFileParser()
    robots.parse(fetch(publisher.base_url + "robots.txt").text.splitlines())
    assert not robots.can_fetch("newsarchive", private)
    assert all(
        robots.can_fetch("newsarchive", a.url)
        for a in articles_of(web, publisher)
        if a.url != private
    )
    for other in live(web):
        rules = fetch(other.base_url + "robots.txt").text
        assert ("Disallow:" in rules) == (other.host == publisher.host)


def test_rss_feed(web: SimWeb, pages: dict[str, Response]) -> None:
    publisher = by_slug(web, "ledgerline")
    [feed] = publisher.feeds
    assert feed.endswith("/rss.xml") and fetch(feed).body.lstrip().startswith(b"<?xml")
    dates = feed_dates(feed)
    assert all(link.endswith("?utm_source=rss") for link in dates)
    listed = {a.url: a for a in articles_of(web, publisher) if "feed" in a.listed_in}
    assert {untracked(link) for link in dates} == set(listed)
    for link, day in dates.items():
        assert day == listed[untracked(link)].published
    tracked = next(iter(dates))
    canonical = html.fromstring(fetch(tracked).text).xpath("//link[@rel='canonical']/@href")
    assert canonical == [untracked(tracked)] and "utm_" not in canonical[0]


def test_atom_feed(web: SimWeb) -> None:
    publisher = by_slug(web, "harbor-courier")
    [feed] = publisher.feeds
    assert feed.endswith("/atom.xml")
    dates = feed_dates(feed)
    listed = {a.url: a for a in articles_of(web, publisher) if "feed" in a.listed_in}
    assert set(dates) == set(listed)
    assert all(day == listed[url].published for url, day in dates.items())
    assert fetch(feed).header("Content-Type") == "application/atom+xml; charset=utf-8"


def test_sitemap_index_with_gzipped_news_sitemap(web: SimWeb) -> None:
    publisher = by_slug(web, "wirefront")
    assert publisher.feeds == []
    [index] = publisher.sitemaps
    index_body = fetch(index).text
    assert "<sitemapindex" in index_body
    news_url = publisher.base_url + "sitemap-news.xml.gz"
    assert news_url in index_body and publisher.base_url + "sitemap-pages.xml" in index_body
    news = fetch(news_url)
    assert news.header("Content-Type") == "application/gzip" and news.body[:2] == b"\x1f\x8b"
    assert news.header("Content-Encoding") is None
    news_xml = gzip.decompress(news.body).decode()
    for tag in ("xmlns:news", "<news:publication_date>", "<news:title>", "<news:keywords>"):
        assert tag in news_xml
    dates = sitemap_dates(index)
    listed = {a.url: a for a in articles_of(web, publisher) if "sitemap" in a.listed_in}
    assert set(dates) == set(listed)
    for url, (published, lastmod) in dates.items():
        assert (published or lastmod) == listed[url].published
        if not listed[url].in_window:
            assert published is not None and lastmod is None, "dated by publication only"


def test_sitemap_named_only_in_robots_txt(web: SimWeb) -> None:
    publisher = by_slug(web, "justice-dispatch")
    assert publisher.feeds == [] and publisher.sitemaps == []
    robots = RobotFileParser()
    robots.parse(fetch(publisher.base_url + "robots.txt").text.splitlines())
    [sitemap] = robots.site_maps() or []
    assert urlsplit(sitemap).netloc == publisher.host
    assert all(sitemap not in p.sitemaps for p in web.publishers)
    dates = sitemap_dates(sitemap)
    listed = {a.url: a for a in articles_of(web, publisher) if "robots-sitemap" in a.listed_in}
    assert set(dates) == set(listed)
    assert all(lastmod == listed[url].published for url, (_, lastmod) in dates.items())


def test_sections_only_publisher(web: SimWeb) -> None:
    publisher = by_slug(web, "continental-herald")
    assert publisher.feeds == [] and publisher.sitemaps == []
    assert "Sitemap:" not in fetch(publisher.base_url + "robots.txt").text
    assert all(a.listed_in <= {"links"} for a in articles_of(web, publisher))


def test_out_of_window_coverage_is_only_in_listings(
    web: SimWeb, pages: dict[str, Response]
) -> None:
    linked_anywhere = {  # from other pages: a skip link to "#main" points at its own page
        u for url, r in html_pages(pages) for u in article_links(url, r.text) if u != url
    }
    outside = [a for a in web.truth.articles if a.on_topic and not a.in_window]
    followups = [a for a in outside if not a.linked]
    assert [a.published.year for a in outside if a.linked] == [2024]
    assert len(followups) == 4
    months = {(a.published.year, a.published.month) for a in followups}
    assert months == {(2025, 1), (2025, 3)}
    for article in followups:
        assert article.url not in linked_anywhere
        assert article.listed_in and article.listed_in <= LISTINGS
        assert not SINCE <= article.published <= UNTIL


def test_a_2024_on_topic_article_is_linked_from_a_home_page(web: SimWeb) -> None:
    [old] = [a for a in web.truth.articles if a.on_topic and a.published.year == 2024]
    assert old.linked and not old.in_window
    publisher = next(p for p in web.publishers if p.host == old.host)
    assert old.url in article_links(publisher.base_url, fetch(publisher.base_url).text)


def test_redirect_is_linked_from_a_section_page(web: SimWeb, pages: dict[str, Response]) -> None:
    [(old, new)] = web.truth.redirects
    linking = [u for u, r in html_pages(pages) if old in article_links(u, r.text)]
    assert linking and all(urlsplit(u).path.count("/") == 2 for u in linking)
    target = web.truth.article(new)
    assert target is not None and target.linked and target.on_topic
    assert new not in {link for u, r in html_pages(pages) for link in article_links(u, r.text)}


def test_pdf_is_linked_from_a_section_page(web: SimWeb, pages: dict[str, Response]) -> None:
    [pdf] = web.truth.non_html_urls
    linking = [u for u, r in html_pages(pages) if pdf in article_links(u, r.text)]
    assert linking and all(urlsplit(u).path.count("/") == 2 for u in linking)


def test_truth_is_consistent(web: SimWeb) -> None:
    articles = web.truth.articles
    assert len({a.url for a in articles}) == len(articles)
    assert sorted(a.seed_id for a in articles if a.seed_id) == ["000", "001", "002", "003", "004"]
    for a in articles:
        assert a.on_topic == on_topic(" ".join([a.title, *a.paragraphs])), a.url
        assert a.in_window == (date(2025, 2, 1) <= a.published <= date(2025, 2, 28))
        assert a.listed_in <= LISTINGS | {"links"}
        assert not a.linked or "links" in a.listed_in
        assert urlsplit(a.url).netloc == a.host
    traps = [a for a in articles if not a.on_topic and "El Salvador" in " ".join(a.paragraphs)]
    assert len(traps) == 1 and traps[0].linked
    relevant = [a for a in articles if a.on_topic and a.in_window]
    assert len(relevant) == 6
    for a in relevant:
        if a.url in web.truth.disallowed_urls:
            continue
        assert a.linked or a.listed_in & LISTINGS, a.url


def test_a_polite_crawl_finds_exactly_what_the_truth_says(web: SimWeb) -> None:
    fetched = polite_crawl(web)
    truth = web.truth
    assert {a.url for a in truth.articles} & fetched == crawlable(truth)
    relevant = {a.url for a in truth.articles if a.on_topic and a.in_window}
    assert relevant - fetched == set(truth.disallowed_urls)


def test_story_file(web: SimWeb) -> None:
    story = parse_story(web.story_toml())
    assert story.name == "el-salvador-prisoners"
    assert (story.since, story.until) == (date(2025, 2, 1), date(2025, 2, 28))
    assert story.match.all == ("El Salvador",)
    assert story.match.any == ("prison*", "jail*", "CECOT")
    assert len(story.sources) == len(web.publishers) == 6
    for source, publisher in zip(story.sources, web.publishers, strict=True):
        assert (source.name, source.url, source.host) == (
            publisher.name,
            publisher.base_url,
            publisher.host,
        )
        assert list(source.feeds) == publisher.feeds
        assert list(source.sitemaps) == publisher.sitemaps
        assert source.follow == publisher.follow == 2
    assert parse_story(web.story_toml("other-name")).name == "other-name"
