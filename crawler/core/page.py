"""The one page input that every extraction starts from.

A `PageInput` is built from an archived WARC record (`storage.warc.page_from_record`), the one
the crawl just wrote or one read back, so the crawl and any later re-extraction run exactly the
same code. It imports no framework: it is plain, frozen data that can
be pickled into a worker process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from w3lib.encoding import html_to_unicode, http_content_type_encoding, read_bom


@dataclass(frozen=True, slots=True)
class PageInput:
    """One fetched page.

    `body` is the HTTP payload with transfer and content encodings removed (what a browser would
    parse); the archive keeps the bytes as they came off the wire. `headers` keeps every header as
    received, repeated ones included, in order.
    """

    url: str
    """The URL that was requested."""
    final_url: str
    """The URL the body came from, after redirects."""
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime
    """When the response was received (timezone-aware, UTC)."""

    @classmethod
    def saved(
        cls, url: str, body: bytes, fetched_at: datetime, content_type: str = "text/html"
    ) -> PageInput:
        """A page known only by its bytes (a saved file, a corpus page): a 200 at `url`, no
        redirect, one Content-Type header."""
        return cls(url, url, 200, (("Content-Type", content_type),), body, fetched_at)

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ('' when absent)."""
        return media_type(self.header("Content-Type"))

    @property
    def is_html(self) -> bool:
        """Whether the body is HTML: by Content-Type, or by sniffing when the type is missing."""
        return is_html(self.header("Content-Type"), self.body)


HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFFED = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta")
_PREAMBLE = re.compile(rb"^(?:\s+|<!--.*?-->|<\?xml[^>]*>)*", re.DOTALL)


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value, without parameters, lower-cased ('' for none)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a body is HTML: by its Content-Type, or, when it names none, by its first markup
    (after a byte order mark, blanks, comments and an XML declaration), as browsers sniff."""
    declared = media_type(content_type)
    if declared:
        return declared in HTML_TYPES
    head = body[:1024].removeprefix(b"\xef\xbb\xbf").lower()
    return head[_PREAMBLE.match(head).end() :].startswith(_SNIFFED)  # type: ignore[union-attr]


def not_a_page(url: str, status: int, content_type: str | None, body: bytes | None) -> str | None:
    """Why an archived exchange is not a page to extract, or None when it is one.

    The one rule of every door (crawl, ingest, recovery, re-extraction, repair): a 2xx answer to
    an http(s) URL whose Content-Type is HTML, or that names no Content-Type and whose body
    starts as HTML does. `body` None means it is not known yet (it did not decode): then a
    missing Content-Type gives it the benefit of the doubt. Reasons: 'not-http', 'http-<status>',
    'not-html'.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return "not-http"
    return not_extractable(status, content_type, body)


def not_extractable(status: int, content_type: str | None, body: bytes | None) -> str | None:
    """`not_a_page` without the URL: what `extract()` checks of any page, a local file too."""
    if not 200 <= status < 300:
        return f"http-{status}"
    if body is None and not media_type(content_type):
        return None
    return None if is_html(content_type, body or b"") else "not-html"


def decode_html(page: PageInput) -> tuple[str, str]:
    """Decode `page.body` to text: BOM, then Content-Type charset, then `<meta charset>`, then
    detection (w3lib's documented order, the same Scrapy uses). Returns (encoding, text).

    One exception to that order: a body that is valid UTF-8 and not plain ASCII is UTF-8,
    whatever its `<meta>` says. Pages re-encoded by the tools that save or mirror them keep their
    old `<meta charset=gb2312>`; read as GBK or EUC-JP they become mojibake and no article is
    found in them. Text in a legacy multi-byte or 8-bit encoding is practically never valid UTF-8
    by chance, so the test is safe; the HTTP header, stated by the server, still comes first."""
    content_type = page.header("Content-Type")
    body = page.body
    if (
        not body.isascii()
        and http_content_type_encoding(content_type) is None
        and read_bom(body) == (None, None)
    ):
        try:
            return "utf-8", body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return html_to_unicode(content_type, body)
