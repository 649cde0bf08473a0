"""`newsarchive serve` browsed in headless Chromium through a scripted session: story → article
→ versions → diff → replay → search, on a real crawl of the simulated web that saw an article
edited. Every page loads with no console error and asks for nothing but the server on
127.0.0.1; the screenshots are kept in the test's output (their paths are printed)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db.browse import article_id
from storage.db.engine import open_database
from tests.integration.conftest import FAST, run_newsarchive
from tests.report.browser import chromium

pytestmark = pytest.mark.slow


@dataclass
class Served:
    base: str
    data: Path
    edited_id: int
    """The article of seed 000, corrected between the two crawls ("local media" → "El
    Salvador's justice ministry")."""
    story: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    data = tmp / "data"
    started = datetime.now(UTC)
    with SimWeb() as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml())
        for hours in (0, 2):
            if hours:
                web.advance()
            now = (started + timedelta(hours=hours)).isoformat()
            result = run_newsarchive(
                "crawl", str(story), "--data", str(data), *FAST, "-s", f"NEWSARCHIVE_NOW={now}"
            )
            assert result.returncode == 0, result.stderr[-3000:]
        edited = next(a.url for a in web.truth.articles if (a.seed_id or "")[:3] == "000")
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}", create=False)
    try:
        found = article_id(engine, normalise_url(edited))
    finally:
        engine.dispose()
    assert found is not None
    name = next(
        line.split("=", 1)[1].strip().strip('"')
        for line in story.read_text().splitlines()
        if line.startswith("name")
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--data", str(data), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
        assert "http://127.0.0.1:" in first, first
        base = first.split("http://", 1)[1].split("/", 1)[0]
        yield Served(f"http://{base}", data, found, name)
    finally:
        server.terminate()
        server.wait(timeout=20)


class Session:
    """One browser session: pages visited, their console errors and requests, screenshots."""

    def __init__(self, driver: Any, base: str, out: Path) -> None:
        self.driver = driver
        self.base = base
        self.out = out
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.shots: list[Path] = []

    def check(self, name: str) -> None:
        """Collect what the page did, and a screenshot."""
        self.driver.execute_script("return document.readyState")
        self.errors += [
            f"{name}: {e['message']}"
            for e in self.driver.get_log("browser")
            if e["level"] == "SEVERE"
        ]
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
        shot = self.out / f"{len(self.shots) + 1:02d}-{name}.png"
        self.driver.save_screenshot(str(shot))
        self.shots.append(shot)

    def click(self, selector: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def text(self, selector: str = "body") -> str:
        from selenium.webdriver.common.by import By

        text: str = self.driver.find_element(By.CSS_SELECTOR, selector).text
        return text


def test_story_article_versions_diff_replay_search(served: Served, tmp_path: Path) -> None:
    with chromium(reachable="127.0.0.1") as driver:
        session = Session(driver, served.base, tmp_path)
        driver.get(served.base + "/")
        session.check("home")
        assert served.story in session.text("table.na")

        session.click(f'a.na-story[href*="{quote(served.story)}"]')
        session.check("story")
        assert "/newsarchive/story" in driver.current_url
        session.click(f'a[href="/-/article/{served.edited_id}"]')
        session.check("article")
        versions = session.text("#versions")
        assert "1" in versions and "2 (current)" in versions
        changed = session.text(".na-edit")
        assert "local media" in changed and "justice ministry" in changed
        assert driver.find_elements("css selector", ".na-edit del")
        assert driver.find_elements("css selector", ".na-edit ins")

        session.click("a.na-diff-link")
        session.check("diff")
        assert "Version 1 → 2" in session.text("h1")
        deleted = " ".join(e.text for e in driver.find_elements("css selector", "#text-diff del"))
        inserted = " ".join(e.text for e in driver.find_elements("css selector", "#text-diff ins"))
        assert "local media" in deleted and "justice ministry" in inserted

        driver.back()
        session.click("a.na-replay")
        session.check("replay")
        banner = session.text("#newsarchive-banner")
        assert "archived copy of" in banner and "captured" in banner
        assert "/-/replay/" in driver.current_url
        for link in driver.find_elements("css selector", "a[href]"):
            href = link.get_attribute("href") or ""
            assert href.startswith(served.base) or href.startswith("#"), href

        driver.get(served.base + "/")
        box = driver.find_element("css selector", "form.na-search input[type=search]")
        box.send_keys('"justice ministry" OR "local media"')
        box.submit()
        session.check("search")
        assert "/-/search?q=" in driver.current_url
        hits = [e.get_attribute("href") for e in driver.find_elements("css selector", "a.na-hit")]
        assert f"{served.base}/-/article/{served.edited_id}" in hits
        assert driver.find_elements("css selector", ".na-snippet mark")

        # Datasette's own table page, searching the same index in FTS5's syntax
        driver.get(served.base + "/newsarchive/article_versions?_search=ministry")
        session.check("table-search")
        found = driver.find_elements("css selector", "table.rows-and-columns tbody tr")
        driver.get(served.base + "/newsarchive/article_versions")
        every = driver.find_elements("css selector", "table.rows-and-columns tbody tr")
        session.check("table")
        assert 0 < len(found) < len(every)

    for shot in session.shots:
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 5_000
    assert session.errors == []
    off_site = [u for u in session.requests if not u.startswith((served.base, "data:"))]
    assert off_site == [], off_site
    assert len(session.requests) >= 6


def test_removed_finds_the_correction_in_a_real_crawl(served: Served) -> None:
    result = run_newsarchive(
        "search", '"local media"', "--removed", "--format", "json", "--data", str(served.data)
    )
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)
    found = [c for c in changes if (c["from_version"], c["to_version"]) == (1, 2)]
    assert found, changes
    assert found[0]["after"] < found[0]["before"]
    assert any("local media" in p["text"] for p in found[0]["passages"])
