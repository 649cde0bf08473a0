"""RSS and Atom feeds, parsed with feedparser (which never fetches anything given bytes)."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, date, datetime
from typing import Any

import feedparser

from crawler.discovery import Lead


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
            )
        )
    return leads


def _day(value: time.struct_time | None) -> date | None:
    """feedparser's UTC struct_time as a date."""
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).date()
