"""The refusals raised where only a request's errback would hear of them (in a downloader
middleware's `process_response`: a redirect loop, a chain past REDIRECT_MAX_TIMES, a body that
decompresses past DOWNLOAD_MAXSIZE) get their reasons as URL outcomes, although the spider's
errback reports no outcome (`request_failed`, crawler/extensions/outcomes.py)."""

from __future__ import annotations

import gzip
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
<a href="/loop-a">loop</a> <a href="/hop/0">hops</a> <a href="/bomb">bomb</a>
</body></html>"""
BOMB = gzip.compress(b"<html><body>" + b"a" * 300_000 + b"</body></html>")
MAXSIZE = 100_000
REDIRECTS = {
    "/loop-a": "/loop-b",
    "/loop-b": "/loop-a",
    **{f"/hop/{n}": f"/hop/{n + 1}" for n in range(5)},
}


class RefusedSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/bomb":
            self._send(200, "text/html", BOMB, gzipped=True)
        elif self.path == "/":
            self._send(200, "text/html", HOME)
        elif self.path == "/robots.txt":
            self._send(200, "text/plain", b"User-agent: *\nAllow: /\n")
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, status: int, media_type: str, body: bytes, *, gzipped: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_refusals_in_process_response_are_outcomes(tmp_path: Path) -> None:
    assert len(BOMB) < MAXSIZE
    with serving(RefusedSite) as base:
        story = tmp_path / "story.toml"
        story.write_text(
            f'name = "refused"\n[[sources]]\nname = "R"\nurl = "{base}/"\nfollow = 1\n'
        )
        data = tmp_path / "data"
        limits = ["-s", "REDIRECT_MAX_TIMES=2", "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}"]
        done = run_newsarchive("crawl", str(story), "--data", str(data), *FAST, *limits)
    assert done.returncode == 0, done.stderr[-3000:]
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    try:
        with engine.connect() as conn:
            rows = {
                url.removeprefix(base): (outcome, reason)
                for url, outcome, reason in conn.execute(
                    select(m.UrlOutcome.url, m.UrlOutcome.outcome, m.UrlOutcome.reason)
                )
            }
    finally:
        engine.dispose()
    # a loop: refused where its second hop leads back into the chain
    assert rows["/loop-a"] == ("redirected", "redirect")
    assert rows["/loop-b"] == ("skipped", "redirect-loop")
    # past REDIRECT_MAX_TIMES=2: the third redirect is refused
    assert rows["/hop/0"] == rows["/hop/1"] == ("redirected", "redirect")
    assert rows["/hop/2"] == ("skipped", "redirect-limit")
    assert "/hop/3" not in rows
    # 300 kB once decompressed, DOWNLOAD_MAXSIZE 100 kB
    assert rows["/bomb"] == ("skipped", "too-large")
