"""Page requisites (`SimWeb(requisites=True)`): every article page loads what the truth lists
(stylesheets, an @import, a background image, a web font, a script, a logo, a picture with its
srcset), from its own host or, for Harbor Courier's images, from the CDN; each requisite is a
real file of its type that answers 304 to its validators; and a browser renders them."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html

from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.simweb import SimWeb
from crawler.simweb.requisites import CDN_PUBLISHER, RequisiteTruth
from tests.conftest import _unavailable
from tests.simweb.helpers import Snapshots, fetch

TYPES = {
    "stylesheet": "text/css",
    "script": "text/javascript",
    "font": "font/woff2",
    "image": "image/",
}


def requisites(web: SimWeb) -> RequisiteTruth:
    assert web.truth.requisites is not None
    return web.truth.requisites


def named_in_page(url: str, text: str) -> set[str]:
    """What an article page names for loading: stylesheets, preloads, scripts, images."""
    doc = html.fromstring(text)
    found = doc.xpath(
        "//link[@rel='stylesheet' or @rel='preload']/@href | //script/@src | //img/@src"
    )
    for srcset in doc.xpath("//img/@srcset | //source/@srcset"):
        found += [part.split()[0] for part in str(srcset).split(",")]
    return {urljoin(url, str(u)) for u in found}


def named_in_css(url: str, css: str) -> set[str]:
    return {urljoin(url, u) for u in re.findall(r"url\(\"?([^\")]+)\"?\)", css)}


def loaded(url: str, text: str) -> set[str]:
    """Everything the page at `url` loads, following its stylesheets."""
    out = named_in_page(url, text)
    sheets = [u for u in out if u.endswith(".css")]
    while sheets:
        sheet = sheets.pop()
        more = named_in_css(sheet, fetch(sheet).text) - out
        out |= more
        sheets += [u for u in more if u.endswith(".css")]
    return out


def test_every_article_page_loads_what_the_truth_lists(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    truth = requisites(featured)
    pages = 0
    for article in featured.truth.articles:
        resp = featured_rounds[0][article.url]
        if article.gone is not None:
            assert article.url not in truth.pages
            continue
        if '<link rel="stylesheet"' not in resp.text:  # a wall that replaces the page
            assert featured.truth.walls and featured.truth.walls.wall(article.url, 0)
            continue
        assert loaded(article.url, resp.text) == truth.urls(article.url), article.url
        pages += 1
    assert pages == len(truth.pages) - 2  # the two first-crawl walls load nothing


def test_many_pages_share_a_stylesheet_and_a_logo(featured: SimWeb) -> None:
    truth = requisites(featured)
    by_host: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for page, items in truth.pages.items():
        for item in items:
            by_host[urlsplit(page).netloc][item.via].add(item.url)
    assert len(by_host) == 5
    for vias in by_host.values():
        for via in ("link-stylesheet", "css-import", "font-face", "css-url", "script-src"):
            assert len(vias[via]) == 1, via
    shared = truth.shared()
    assert len(shared) == 5 * 6  # stylesheet, fonts.css, font, background, script, logo
    assert all(len(truth.urls(page) & shared) == 6 for page in truth.pages)


def test_one_publisher_serves_its_images_from_a_cdn(featured: SimWeb) -> None:
    truth = requisites(featured)
    cdn = urlsplit(truth.cdn).netloc
    courier = next(p for p in featured.publishers if p.slug == CDN_PUBLISHER)
    for page, items in truth.pages.items():
        host = urlsplit(page).netloc
        for item in items:
            expected = cdn if host == courier.host and item.kind == "image" else host
            assert item.host == expected, item
    robots = fetch(truth.cdn + "robots.txt")
    assert robots.status == 200 and "Disallow: /internal/" in robots.text
    assert "Disallow: /internal/" not in fetch(courier.base_url + "robots.txt").text
    assert fetch(truth.cdn + f"{CDN_PUBLISHER}/images/000000000000-640.png").status == 404


def test_each_requisite_is_a_real_file_with_validators(featured: SimWeb) -> None:
    from PIL import Image

    truth = requisites(featured)
    items = {r.url: r for rs in truth.pages.values() for r in rs}
    assert len(items) > 300
    sizes: set[tuple[int, int]] = set()
    for url, item in items.items():
        resp = fetch(url)
        assert resp.status == 200, url
        assert (resp.header("Content-Type") or "").startswith(TYPES[item.kind]), url
        if item.kind == "image":
            image = Image.open(io.BytesIO(resp.body))
            image.load()
            sizes.add(image.size)
        elif item.kind == "font":
            assert resp.body[:4] == b"wOF2" and len(resp.body) > 5000
        etag, modified = resp.header("ETag"), resp.header("Last-Modified")
        assert etag and modified, url
        assert fetch(url, If_None_Match=etag).status == 304
        assert fetch(url, If_Modified_Since=modified).status == 304
        assert fetch(url, If_None_Match='"other"').status == 200
    assert {(320, 180), (640, 360), (960, 540), (180, 40), (16, 16)} <= sizes


def test_requisites_add_no_text_to_extract(
    web: SimWeb, featured: SimWeb, featured_rounds: Snapshots
) -> None:
    """An article extracts the same with its requisites as without (the default web's page)."""
    fetched = datetime(2025, 4, 1, tzinfo=UTC)
    plain = {urlsplit(a.url).path: a.url for a in web.truth.articles}
    compared = 0
    for article in featured.truth.articles:
        path = urlsplit(article.url).path
        if path not in plain or article.gone is not None:
            continue
        found = []
        for url, resp in (
            (article.url, featured_rounds[0][article.url]),
            (plain[path], fetch(plain[path])),
        ):
            page = PageInput(url, url, 200, (("Content-Type", "text/html"),), resp.body, fetched)
            result = extract(page, ExtractOptions()).article
            assert result is not None
            found.append((result.title, result.text))
        assert found[0] == found[1], article.url
        compared += 1
    assert compared >= 55


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium (Debian's `chromium` and `chromium-driver`) that resolves no host name
    but reaches 127.0.0.1; skips (fails under NEWSARCHIVE_REQUIRE_SERVICES=1) without it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("browser tests need selenium: pip install -e '.[dev]'")
    binary = os.environ.get("NEWSARCHIVE_CHROMIUM") or shutil.which("chromium")
    driver_path = os.environ.get("NEWSARCHIVE_CHROMEDRIVER") or shutil.which("chromedriver")
    if not binary or not driver_path:
        _unavailable(
            "browser tests need Chromium and chromedriver: apt install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1200,1600", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def _render(driver: object, url: str, block_css: bool) -> tuple[bytes, dict[str, object]]:
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(driver, WebDriver)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*.css"] if block_css else []})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.get(url)
    state = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.fonts.ready.then(() => done({"
        " font: document.fonts.check('16px SimSerif'),"
        " fontStatus: [...document.fonts].map(f => f.status),"
        " images: [...document.images].map(i => i.complete && i.naturalWidth),"
        " picked: [...document.images].map(i => i.currentSrc),"
        " background: getComputedStyle(document.body).backgroundImage,"
        " heading: getComputedStyle(document.querySelector('h1')).fontFamily,"
        " ready: document.querySelector('h1').dataset.ready }));"
    )
    assert isinstance(state, dict)
    return driver.get_screenshot_as_png(), state


@pytest.mark.parametrize("slug", ["ledgerline", CDN_PUBLISHER])
def test_a_browser_renders_the_requisites(featured: SimWeb, slug: str) -> None:
    """With its stylesheet the page has its font, background and images (from the CDN for
    Harbor Courier), and looks different from the page without it."""
    featured.set_round(0)
    host = next(p.host for p in featured.publishers if p.slug == slug)
    page = next(
        a.url for a in featured.truth.articles
        if a.host == host and a.seed_id and a.url in requisites(featured).pages
    )  # fmt: skip
    with chromium() as driver:
        styled, state = _render(driver, page, block_css=False)
        bare, bare_state = _render(driver, page, block_css=True)
    assert state["font"] is True and "loaded" in state["fontStatus"]  # type: ignore[operator]
    images = state["images"]
    assert isinstance(images, list) and len(images) == 2 and all(w and w > 0 for w in images)
    assert "paper.png" in str(state["background"]) and "SimSerif" in str(state["heading"])
    assert state["ready"] == "1", "the script ran"
    if slug == CDN_PUBLISHER:
        cdn = requisites(featured).cdn
        assert all(str(src).startswith(cdn) for src in state["picked"])  # type: ignore[union-attr]
    assert bare_state["background"] == "none" and "SimSerif" not in str(bare_state["heading"])
    assert styled != bare
