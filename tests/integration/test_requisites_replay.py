"""A crawled article, opened from the story's WACZ in pywb with headless Chromium, looks as the
live page did: every request the page makes goes to pywb and is answered from the archive (no
404, nothing sent to the simulated web: the browser's requests are logged), and a screenshot of
the replay differs from a screenshot of the live page in less than `BOUND` of its pixels.

Needs pywb (`$NEWSARCHIVE_PYWB_VENV` or `.pywb-venv`), Chromium and chromedriver; skips without
them (fails under NEWSARCHIVE_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from storage.warc import read_record
from tests.integration.conftest import FAST, run_newsarchive
from tests.integration.test_replay import pywb_serving, pywb_venv
from tests.report.browser import chromium

pytestmark = pytest.mark.slow

BOUND = 0.01
"""The largest share of pixels that may differ between the replay's screenshot and the live
page's (measured: see docs/replay.md)."""
STORY = "el-salvador-prisoners"


@dataclass
class Replay:
    web: SimWeb
    data: Path
    base: str
    """pywb's 'http://127.0.0.1:PORT'."""


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    pywb_venv()  # skips (or fails) at once when pywb is missing
    tmp = tmp_path_factory.mktemp("requisites-replay")
    data = tmp / "data"
    with SimWeb(requisites=True) as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml(STORY))
        cdn = web.truth.requisites.cdn.split("//", 1)[1].rstrip("/")
        result = run_newsarchive(
            "crawl", str(story), "--data", str(data), *FAST, "-s", f"NEWSARCHIVE_GUARD_ALLOW={cdn}"
        )
        assert result.returncode == 0, result.stderr[-3000:]
        wacz = tmp / "story.wacz"
        result = run_newsarchive("wacz", "--data", str(data), "--story", STORY, "-o", str(wacz))
        assert result.returncode == 0, result.stderr[-3000:]
        root = tmp / "pywb"
        root.mkdir()
        with pywb_serving(root, "story", "--unpack-wacz", str(wacz)) as base:
            yield Replay(web, data, base)


def _captured(data: Path, url: str) -> tuple[str, str]:
    """When the page was captured (pywb's 14-digit timestamp) and the URL it was requested as
    (published: a feed's link keeps its ?utm_source=…), from its capture's WARC record."""
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    with engine.connect() as conn:
        found = conn.execute(
            select(m.Capture.fetched_at, m.Capture.warc_filename, m.Capture.warc_offset)
            .join(m.Url, m.Url.id == m.Capture.url_id)
            .where(m.Url.url == url, m.Capture.status == 200)
        ).first()
    engine.dispose()
    assert found is not None, url
    when, filename, offset = found
    target = read_record(data / "warc" / filename, offset).target_uri
    assert target is not None
    return f"{when:%Y%m%d%H%M%S}", target


def _render(
    driver: Any, url: str, framed: bool = False
) -> tuple[bytes, list[tuple[str, int | None]]]:
    """The page's screenshot once its fonts are ready, and every request it made: (URL, status
    of the answer, None when none came). `framed`: pywb's replay, whose page is in an iframe
    under pywb's banner; the screenshot is of the iframe."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("performance")  # forget what came before
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.get(url)
    frame = None
    if framed:
        frame = WebDriverWait(driver, 30).until(
            expected_conditions.presence_of_element_located((By.TAG_NAME, "iframe"))
        )
        driver.switch_to.frame(frame)
        WebDriverWait(driver, 30).until(
            lambda d: (
                d.execute_script("return document.readyState") == "complete"
                and d.execute_script("return !!document.querySelector('h1')")
            )
        )
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.fonts.ready.then(() => setTimeout(done, 800));"
    )
    driver.switch_to.default_content()
    png = frame.screenshot_as_png if frame is not None else driver.get_screenshot_as_png()
    asked: dict[str, str] = {}
    answered: dict[str, int] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            asked[params["requestId"]] = params["request"]["url"]
        elif message.get("method") == "Network.responseReceived":
            answered[params["requestId"]] = params["response"]["status"]
        elif message.get("method") == "Network.requestServedFromCache":
            answered.setdefault(params["requestId"], 200)  # an earlier answer of the archive
    return png, [(url, answered.get(rid)) for rid, url in asked.items()]


def _differing(one: bytes, two: bytes) -> float:
    from PIL import Image, ImageChops

    first = Image.open(io.BytesIO(one)).convert("RGB")
    second = Image.open(io.BytesIO(two)).convert("RGB")
    # the replay's iframe is the live window less pywb's banner: compare the same area
    width, height = min(first.size[0], second.size[0]), min(first.size[1], second.size[1])
    first, second = first.crop((0, 0, width, height)), second.crop((0, 0, width, height))
    diff = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 16 else 0)
    histogram = diff.histogram()
    return histogram[255] / (width * height)


@pytest.mark.parametrize("slug", ["ledgerline", "harbor-courier"])
def test_an_article_replays_from_the_wacz_as_it_looked(replay: Replay, slug: str) -> None:
    web = replay.web
    host = next(p.host for p in web.publishers if p.slug == slug)
    page = next(
        a.url for a in web.truth.articles
        if a.host == host and a.seed_id and a.url in web.truth.requisites.pages
    )  # fmt: skip
    stamp, published = _captured(replay.data, page)
    with chromium("127.0.0.1") as driver:
        live, _ = _render(driver, page)
        replayed, requests = _render(
            driver, f"{replay.base}/story/{stamp}/{published}", framed=True
        )
    pywb = urlsplit(replay.base).netloc
    outside = [(url, status) for url, status in requests if urlsplit(url).netloc != pywb]
    assert not [u for u, _ in outside if not u.startswith("data:")], outside
    archived = [(u, status) for u, status in requests if urlsplit(u).path.startswith("/story/")]
    failed = [(url, status) for url, status in archived if status is None or status >= 400]
    assert not failed, failed  # (pywb's own /static/ scripts are not the archive's)
    needed = {urlsplit(u).path for u in web.truth.requisites.urls(page)}
    fetched = {urlsplit(url.split("_/", 1)[-1]).path for url, _ in archived}
    assert len(needed & fetched) >= 5, (needed, fetched)
    share = _differing(live, replayed)
    (replay.data.parent / f"{slug}-live.png").write_bytes(live)
    (replay.data.parent / f"{slug}-replay.png").write_bytes(replayed)
    print(f"{slug}: {share:.4%} of pixels differ")  # the measurement for the docs
    assert share < BOUND
