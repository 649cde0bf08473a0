"""The replayed page: scripts, frames and handlers gone, every URL pointed into the archive or
removed, a banner on top; and `newsarchive serve`'s refusals."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from crawler.cli import serve
from crawler.serve.replay import (
    Banner,
    archived,
    css_links,
    not_archived_href,
    page_links,
    rewrite_css,
    rewrite_html,
)
from storage.db.engine import open_database

BASE = "http://news.example:8080/2025/story.html"
PAGE = b"""<!DOCTYPE html><html><head>
<base href="http://news.example:8080/2025/">
<meta http-equiv="refresh" content="0;url=http://evil.example/">
<link rel="stylesheet" href="style.css" integrity="sha384-x">
<link rel="icon" href="http://cdn.example/icon.png">
<script src="http://cdn.example/app.js"></script>
<script>document.write('live')</script>
<style>body { background: url("http://cdn.example/bg.png") }
h1 { background: url(/img/a.png) }</style>
</head><body onload="track()">
<h1>A story</h1>
<p><a href="/2025/other.html#part">archived article</a> and
<a href="http://elsewhere.example/x">a site not archived</a> and <a href="#top">an anchor</a>
and <a href="javascript:alert(1)">js</a></p>
<img src="/img/a.png" srcset="/img/a.png 1x, http://cdn.example/a2.png 2x">
<img src="http://cdn.example/not-archived.png" onerror="alert(1)">
<div style="background-image: url('/img/a.png')">styled</div>
<iframe src="http://ads.example/frame"></iframe>
<form action="http://evil.example/post"><input name="q"></form>
<object data="http://cdn.example/x.swf"></object>
</body></html>"""
KNOWN = {
    "http://news.example:8080/2025/style.css": 11,
    "http://news.example:8080/2025/other.html": 12,
    "http://news.example:8080/img/a.png": 13,
}
BANNER = Banner(BASE, datetime(2025, 3, 1, 12, tzinfo=UTC), 200, "/-/article/7")


def test_page_links_lists_what_to_look_up() -> None:
    links = page_links(PAGE, BASE)
    assert "http://news.example:8080/2025/style.css" in links
    assert "http://news.example:8080/img/a.png" in links
    assert "http://elsewhere.example/x" in links


def test_a_replayed_page_keeps_inside_the_archive() -> None:
    page = rewrite_html(PAGE, BASE, archived(KNOWN), not_archived_href, BANNER)
    document = lxml.html.document_fromstring(page)
    assert not document.xpath("//script | //iframe | //object | //meta | //base")
    assert not [a for e in document.iter() for a in e.attrib if a.startswith("on")]
    urls = [link for _, attribute, link, _ in document.iterlinks() if attribute]
    assert all(url.startswith(("/", "#")) for url in urls), urls
    assert "/-/replay/11" in urls  # the stylesheet
    assert "/-/replay/12#part" in urls  # the archived article, fragment kept
    assert "/-/not-archived?url=http%3A%2F%2Felsewhere.example%2Fx" in urls
    assert "#top" in urls
    images = document.xpath("//img")
    assert images[0].get("src") == "/-/replay/13" and images[0].get("srcset") is None
    assert images[1].get("src") is None  # not archived: nothing is fetched
    assert document.xpath("//form")[0].get("action") is None
    style = document.xpath("//style")[0].text
    assert 'url("/-/replay/13")' in style and "cdn.example" not in style
    styled = document.xpath("//div[text()='styled']")[0]
    assert "/-/replay/13" in styled.get("style")
    banner = document.get_element_by_id("newsarchive-banner")
    assert BASE in banner.text_content() and "2025-03-01 12:00:00 UTC" in banner.text_content()
    assert banner.getparent().tag == "body" and banner.getparent().index(banner) == 0
    assert "http://cdn.example" not in page and "evil.example" not in page


def test_a_stylesheet_points_into_the_archive() -> None:
    css = '@import "print.css"; a { background: url(/img/a.png) } b { src: url(data:x) }'
    assert css_links(css, BASE) == [
        "http://news.example:8080/img/a.png",
        "http://news.example:8080/2025/print.css",
    ]
    rewritten = rewrite_css(css, BASE, archived(KNOWN))
    assert 'url("/-/replay/13")' in rewritten
    assert "@import url()" in rewritten and "url(data:x)" in rewritten


def test_serve_refuses_postgresql_and_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert serve.main(["--data", str(tmp_path), "--db", pg]) == 2
    assert "serve browses a SQLite database" in capsys.readouterr().err
    assert serve.main(["--data", str(tmp_path)]) == 2
    assert "no newsarchive database" in capsys.readouterr().err


def test_serve_says_when_the_port_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_database(f"sqlite:///{tmp_path / 'newsarchive.db'}").dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve.main(["--data", str(tmp_path), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"newsarchive serve: port {port} on 127.0.0.1 is in use: pick another with --port N\n"
    )
