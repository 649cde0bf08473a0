"""Outcomes the simulated web does not produce, on a small site of odd pages: links and redirects
to other sites, a link met twice, an unreadable feed, a missing page, a file that is not HTML."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import models as m
from storage.db.engine import open_database
from tests.integration.conftest import FAST, run_newsarchive
from tests.support import serving

pytestmark = pytest.mark.slow

HOME = b"""<html><body>
<a href="/a">a</a> <a href="/a#again">a again</a> <a href="/missing">missing</a>
<a href="/away">away</a> <a href="/file.csv">file</a>
<a href="http://localhost:9/elsewhere">elsewhere</a>
</body></html>"""
PAGES: dict[str, tuple[int, str, bytes]] = {
    "/": (200, "text/html", HOME),
    "/a": (200, "text/html", b"<html><body><p>Too short to be an article.</p></body></html>"),
    "/rss.xml": (200, "application/rss+xml", b"this is not a feed at all <"),
    "/file.csv": (200, "text/csv", b"a,b\n1,2\n"),
    "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
}


class OddSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/away":
            self.send_response(301)
            self.send_header("Location", "http://localhost:9/gone-elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, media_type, body = PAGES.get(self.path, (404, "text/plain", b"not here"))
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_each_odd_url_gets_its_reason(tmp_path: Path) -> None:
    with serving(OddSite) as base:
        story = tmp_path / "story.toml"
        story.write_text(
            f'name = "odd"\n[[sources]]\nname = "Odd"\nurl = "{base}/"\n'
            f'feeds = ["{base}/rss.xml"]\nfollow = 1\n'
        )
        data = tmp_path / "data"
        done = run_newsarchive("crawl", str(story), "--data", str(data), *FAST)
    assert done.returncode == 0, done.stderr[-3000:]
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    try:
        with engine.connect() as conn:
            rows = {
                url: (outcome, reason)
                for url, outcome, reason in conn.execute(
                    select(m.UrlOutcome.url, m.UrlOutcome.outcome, m.UrlOutcome.reason)
                )
            }
    finally:
        engine.dispose()
    assert rows == {
        f"{base}/": ("stored", "not-article"),
        f"{base}/a": ("stored", "not-article"),  # linked twice: one outcome
        f"{base}/missing": ("failed", "http-404"),
        f"{base}/away": ("redirected", "redirect"),
        "http://localhost:9/gone-elsewhere": ("skipped", "off-site"),  # Scrapy refused it
        "http://localhost:9/elsewhere": ("skipped", "off-site"),  # the spider passed it over
        f"{base}/file.csv": ("archived", "not-html"),
        f"{base}/rss.xml": ("failed", "feed-unreadable"),
        f"{base}/robots.txt": ("archived", "robots-txt"),
    }
