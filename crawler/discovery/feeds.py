"""RSS and Atom feeds, parsed with feedparser (which never fetches anything given bytes)."""

from __future__ import annotations

import calendar
import contextlib
import time
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import lxml.html
from lxml import etree

from crawler.discovery import Lead

DESCRIPTION_CHARS = 10_000
"""A feed's description of an entry is kept to this many characters: enough to tell a teaser
from an article, little enough to ride along with every request."""


class FeedError(ValueError):
    """The body is not a feed that can be read."""


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> list[Lead]:
    """The entries of an RSS or Atom feed, links resolved against `url`."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed: Any = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not a readable feed: {parsed.get('bozo_exception')!s}")
    leads = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        tags = tuple(t.get("term", "") for t in entry.get("tags", []) if t.get("term"))
        leads.append(
            Lead(
                url=link,
                published=_day(entry.get("published_parsed")),
                # dict.get: feedparser's own get() answers updated_parsed with published_parsed
                modified=_day(dict.get(entry, "updated_parsed")),
                title=(entry.get("title") or None),
                keywords=tags,
                description=_description(entry),
            )
        )
    return leads


def _description(entry: Any) -> str | None:
    """The entry's full text if the feed carries it, else its summary, as plain text."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    value = max(contents, key=len) if contents else entry.get("summary") or ""
    if not value.strip():
        return None
    if "<" in value:
        with contextlib.suppress(etree.ParserError, ValueError):  # not HTML: kept as it is
            value = " ".join(lxml.html.fromstring(value).itertext())
    text = " ".join(value.split())[:DESCRIPTION_CHARS]
    return text or None


def _day(value: time.struct_time | None) -> date | None:
    """feedparser's UTC struct_time as a date."""
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).date()
