"""The one page input that every extraction starts from.

A `PageInput` is built from a live Scrapy response (`spiders.story.StorySpider._item`)
or from an archived WARC record (`storage.warc.page_from_record`), so the crawl and any later
re-extraction run exactly the same code. It imports no framework: it is plain, frozen data that can
be pickled into a worker process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from w3lib.encoding import html_to_unicode


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
        value = self.header("Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    @property
    def is_html(self) -> bool:
        """Whether the body is HTML: by Content-Type, or by sniffing when the type is missing."""
        if self.content_type in ("text/html", "application/xhtml+xml"):
            return True
        if self.content_type:
            return False
        head = self.body[:512].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html"))


def decode_html(page: PageInput) -> tuple[str, str]:
    """Decode `page.body` to text: BOM, then Content-Type charset, then `<meta charset>`, then
    detection (w3lib's documented order, the same Scrapy uses). Returns (encoding, text)."""
    return html_to_unicode(page.header("Content-Type"), page.body)
