"""Page weight: pages as heavy as real news pages and compressing like them, the same bytes in
every process and round, invisible to extraction, and never naming another host."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlsplit

from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.simweb import SimWeb
from crawler.simweb.templates import ArticleView, GroupView, LinkView, View
from crawler.simweb.themes import THEMES
from crawler.simweb.weight import weigh
from tests.simweb.helpers import ROUNDS, Response, Snapshots, fetch, html_pages

KIB = 1024
ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<(style|script|svg)\b([^>]*)>(.*?)</\1>", re.DOTALL)
IDENTIFIERS = re.compile(
    r'\sxmlns(?::\w+)?="[^"]*"'  # the XML namespaces of feeds and sitemaps
    r'|\sitemtype="https://schema\.org/\w+"'  # microdata types
    r'|"@context": "https://schema\.org"'  # JSON-LD contexts
)
"""URIs that name a vocabulary and are never fetched: the only ones allowed off the own host."""
SNAPSHOT = """
import hashlib
from crawler.simweb import SimWeb
from tests.simweb.helpers import fetch
with SimWeb() as web:
    for p in web.publishers:
        urls = [p.base_url, p.base_url + "archive/?page=1"]
        for url in urls + [a.url for a in web.truth.articles if a.host == p.host]:
            body = fetch(url).body.replace(p.host.encode(), b"HOST")
            print(p.slug, url.removeprefix(p.base_url), hashlib.sha256(body).hexdigest())
"""


def weight_blocks(page: str) -> list[str]:
    """A page's `<style>`, `<script>` and `<svg>` elements, but for its JSON-LD metadata."""
    return [m.group(0) for m in BLOCK.finditer(page) if "ld+json" not in m.group(2)]


def foreign(text: str, host: str, *, identifiers: bool = True) -> list[str]:
    """Every `//` in `text` that does not begin a URL on `host`, in context (JSON-escaped
    slashes included); vocabulary URIs excepted when `identifiers`."""
    text = re.sub(r"\\u002f", "/", text.replace("\\/", "/"), flags=re.IGNORECASE)
    if identifiers:
        text = IDENTIFIERS.sub("", text)
    return [
        text[max(0, m.start() - 20) : m.end() + 40]
        for m in re.finditer("//", text)
        if not (text.endswith("http:", 0, m.start()) and text.startswith(f"{host}/", m.end()))
    ]


def app_state(block: str) -> dict[str, Any]:
    """The app state in a `__NEXT_DATA__` element or a `window.X = {...};` script."""
    code = block[block.index(">") + 1 : -len("</script>")]
    if code.startswith("window."):
        code = code.split("=", 1)[1].removesuffix(";")
    data: dict[str, Any] = json.loads(code)
    return data["props"]["pageProps"] if "props" in data else data


def sizes(responses: list[Response]) -> tuple[float, float]:
    """Median raw and gzip (level 6, as measured for real pages) sizes."""
    raw = median(len(r.body) for r in responses)
    return raw, median(len(gzip.compress(r.body, compresslevel=6)) for r in responses)


def test_pages_weigh_what_real_news_pages_do(web: SimWeb, pages: dict[str, Response]) -> None:
    articles = {a.url for a in web.truth.articles}
    raw, packed = sizes([pages[url] for url in articles])
    # The Zyte article-extraction benchmark's 181 pages: medians 112 KiB raw, 24 KiB gzipped.
    assert 100 * KIB <= raw <= 120 * KIB, raw
    assert 20 * KIB <= packed <= 30 * KIB, packed
    assert 4 <= raw / packed <= 5, "compresses like real CSS and JS, not like padding"
    listings = [r for url, r in html_pages(pages) if url not in articles]
    assert len(listings) > 40
    assert sizes(listings)[0] >= 0.9 * raw, "home, section and archive pages are as heavy"
    homes = [pages[p.base_url].text for p in web.publishers if p.base_url in pages]
    assert len({weight_blocks(home)[0] for home in homes}) == len(homes) == 5, "own stylesheets"


def test_pages_are_the_same_bytes_in_every_process(web: SimWeb, pages: dict[str, Response]) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    result = subprocess.run(
        [sys.executable, "-c", SNAPSHOT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    theirs = result.stdout.splitlines()
    ours = []
    for p in web.publishers:
        if p.host == web.truth.failing_host:
            continue
        urls = [p.base_url, p.base_url + "archive/?page=1"]
        for url in urls + [a.url for a in web.truth.articles if a.host == p.host]:
            body = pages[url].body.replace(p.host.encode(), b"HOST")
            ours.append(
                f"{p.slug} {url.removeprefix(p.base_url)} {hashlib.sha256(body).hexdigest()}"
            )
    assert len(ours) > 60 and theirs == ours


def test_gzipped_pages_hold_the_same_bytes(pages: dict[str, Response]) -> None:
    """The gzip streams, spliced from the publishers' shared parts deflated once, decode to the
    very pages sent uncompressed."""
    zipped = 0
    for url, resp in html_pages(pages):
        sent = fetch(url, Accept_Encoding="gzip")
        if sent.header("Content-Encoding") == "gzip":
            assert gzip.decompress(sent.body) == resp.body, url
            zipped += 1
    assert zipped > 40


def test_an_edit_changes_only_the_state_the_article_is_in(timed: SimWeb, served: Snapshots) -> None:
    """Stylesheet, scripts and icons stay byte-identical; in the app state only the article and
    the page's title and description follow an edit. A timestamp-only change touches none."""
    seen: Counter[str] = Counter()
    for history in timed.truth.timeline.histories.values():
        for n in ROUNDS[1:]:
            if not history.changed(n) or history.version(n) is None:
                continue
            before, after = (weight_blocks(served[k][history.url].text) for k in (n - 1, n))
            changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
            if n in history.restamped:
                assert changed == [], history.url
                seen["restamped"] += 1
                continue
            [(old_block, new_block)] = changed
            old, new = app_state(old_block), app_state(new_block)
            assert {key for key in old if old[key] != new[key]} <= {"article", "page"}
            assert old["page"]["id"] == new["page"]["id"] and old["article"] != new["article"]
            seen["edited"] += 1
    assert seen == {"restamped": 1, "edited": 3}


def test_the_weight_is_invisible_to_extraction(web: SimWeb, pages: dict[str, Response]) -> None:
    """Every article extracts exactly as it does with its styles, scripts and icons removed."""
    fetched = datetime(2025, 4, 1, tzinfo=UTC)
    options = ExtractOptions()
    for article in web.truth.articles:
        resp = pages[article.url]
        page = resp.text
        light = BLOCK.sub(lambda m: m.group(0) if "ld+json" in m.group(2) else "", page)
        assert len(light) < len(page) / 5
        headers = (("Content-Type", resp.header("Content-Type") or ""),)
        found = [
            extract(
                PageInput(article.url, article.url, 200, headers, text.encode(), fetched), options
            )
            for text in (page, light)
        ]
        assert found[0] == found[1], article.url
        assert found[0].article is not None, article.url


def test_the_weight_is_only_styles_scripts_and_icons() -> None:
    """Nothing in it an extractor keeps: no element but those three, no text in the icons."""
    when = datetime(2025, 2, 4, 9, tzinfo=UTC)
    article = ArticleView("Headline", "A. Writer", when, LinkView("/news/", "News"), ("One.",))
    related = GroupView("Related", (LinkView("/news/other/", "Other", "03 Feb 2025"),))
    view = View(
        site_name="Site",
        home="/",
        title="Headline",
        canonical="http://127.0.0.1:9/news/a/",
        description="One.",
        nav=(LinkView("/", "Home"),),
        groups=(related,),
        chrome={},
        article=article,
    )
    for slug, theme in THEMES.items():
        weight = weigh(view, slug, theme.weight)
        for part in (weight.head, weight.top, weight.tail):
            assert part and BLOCK.sub("", part).strip() == "", slug
        assert weight.top.startswith("<svg") and not re.search(r">[^<]", weight.top), slug


def test_no_byte_served_points_at_another_host(
    web: SimWeb, pages: dict[str, Response], served: Snapshots
) -> None:
    host = "127.0.0.1:8000"
    for planted in ('"https://cdn.example/x.js"', "url(//cdn.example/a)", '"http:\\/\\/evil.test"'):
        assert foreign(planted, host), planted
    assert not foreign(f'<feed xmlns="http://www.w3.org/2005/Atom" href="http://{host}/">', host)
    bodies = dict(pages)
    for p in web.publishers:
        robots = fetch(p.base_url + "robots.txt")
        maps = [line.split(" ", 1)[1] for line in robots.text.splitlines() if "Sitemap:" in line]
        bodies[p.base_url + "robots.txt"] = robots
        bodies[p.base_url + "missing"] = fetch(p.base_url + "missing")
        for url in [*p.feeds, *p.sitemaps, *maps]:
            bodies[url] = fetch(url)
        if p.sitemaps:
            for child in ("sitemap-news.xml.gz", "sitemap-pages.xml"):
                bodies[p.base_url + child] = fetch(p.base_url + child)
    assert len(bodies) - len(pages) >= 15, "robots.txt, feeds, sitemaps and error pages too"
    snapshots = [(url, r) for snapshot in served for url, r in snapshot.items()]
    for url, resp in [*bodies.items(), *snapshots]:
        host = urlsplit(url).netloc
        body = resp.body
        if resp.header("Content-Encoding") == "gzip" or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        text = body.decode("latin-1")  # bytes as characters: a PDF too
        assert foreign(text, host) == [], url
        for block in weight_blocks(text):
            assert foreign(block, host, identifiers=False) == [], url
