"""The meta-refresh check on the head of the body: the same decisions as Scrapy's, without
decoding the whole body."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.response import get_meta_refresh
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.middlewares.metarefresh import (
    HEAD_BYTES,
    HeadMetaRefreshMiddleware,
    head_text,
    meta_refresh,
)

URL = "http://news.example/a"
FILLER = "<p>Caf\u00e9 \u2014 \u4e2d\u6587 \U0001f600 text.</p>\n" * 4000
"""Multi-byte characters, well past the head."""


def page(head: str, encoding: str = "utf-8") -> HtmlResponse:
    filler = FILLER.encode(encoding, "replace").decode(encoding)
    body = f"<html><head>{head}</head><body>{filler}</body></html>".encode(encoding, "replace")
    headers = {"Content-Type": f"text/html; charset={encoding}"}
    return HtmlResponse(URL, body=body, headers=headers)


CASES = [
    '<meta http-equiv="refresh" content="0; url=/b">',
    '<base href="http://other.example/x/"><meta http-equiv="refresh" content="5;url=c">',
    '<meta http-equiv="refresh" content="0; url=/b"><!-- ' + "x" * 5000 + " -->",
    '<script><meta http-equiv="refresh" content="0; url=/b"></script>',
    "<title>no refresh</title>",
    "\u00e9" * 3000 + '<meta http-equiv="refresh" content="0; url=/late">',  # past 4,096 chars
]


@pytest.mark.parametrize("head", CASES)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_the_head_gives_what_scrapy_finds_in_the_whole_text(head: str, encoding: str) -> None:
    ours, theirs = page(head, encoding), page(head, encoding)
    assert len(ours.body) > HEAD_BYTES
    assert head_text(ours) == theirs.text[:4096]
    assert meta_refresh(ours, ("script", "noscript")) == get_meta_refresh(theirs)


def test_the_whole_body_is_not_decoded() -> None:
    response = page(CASES[0])
    assert meta_refresh(response, ()) == (0.0, "http://news.example/b")
    assert response._cached_ubody is None  # Scrapy's cache of the decoded body: never filled


def test_the_middleware_replaces_scrapys_and_redirects_as_it_did() -> None:
    assert (
        settings.DOWNLOADER_MIDDLEWARES[
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"
        ]
        is None
    )
    crawler = get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100})
    middleware = HeadMetaRefreshMiddleware.from_crawler(crawler)
    request = Request(URL)
    redirected = middleware.process_response(request, page(CASES[0]))
    assert isinstance(redirected, Request)
    assert redirected.url == "http://news.example/b"
    plain = page(CASES[4])
    assert middleware.process_response(request, plain) is plain
    slow = page('<meta http-equiv="refresh" content="500; url=/b">')
    assert middleware.process_response(request, slow) is slow
    other = Response(URL, body=b"not html")
    assert middleware.process_response(request, other) is other
