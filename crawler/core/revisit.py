"""Revisits: when a known page is fetched again, and what the crawl knows of its last capture.

News articles change after publication, mostly in their first hours. A page is revisited at an
interval that starts at `first`, grows by `factor` with each fetch that found it unchanged, grows
with the article's age, is capped at `max`, and stops `stop_after` after the page was first seen:

    interval = min(max, max(first * factor ** unchanged, age * age_factor))
    next due = last fetch + interval, or never once first seen + stop_after has passed

With the defaults an article is checked after 1 h, 2 h, 4 h … (a changed text starts again at
1 h), at most once a day, and for 30 days. See docs/versions.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION = timedelta(days=3653)


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '1h', '2.5d', '1w' → timedelta. Raises ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"a duration is a number and a unit (s, m, h, d, w) like '1h', got {text!r}"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"a duration may be at most 10 years, got {text!r}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class RevisitPolicy:
    first: timedelta = timedelta(hours=1)
    factor: float = 2.0
    max: timedelta = timedelta(days=1)
    age_factor: float = 0.1
    """An article this old is revisited at most every age * age_factor (10 days → daily)."""
    stop_after: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if self.first <= timedelta(0):
            raise ValueError("first must be a positive duration")
        if self.max < self.first:
            raise ValueError("max must not be shorter than first")
        if not 1 <= self.factor <= 100:
            raise ValueError("factor must be a number from 1 to 100")
        if not 0 <= self.age_factor <= 100:
            raise ValueError("age_factor must be a number from 0 to 100")
        if self.stop_after <= timedelta(0):
            raise ValueError("stop_after must be a positive duration")

    def interval(self, unchanged: int, age: timedelta) -> timedelta:
        """How long to wait after a fetch that found the page unchanged `unchanged` times in a
        row (0 after a change or a first fetch)."""
        # in float seconds, capped before converting back: factor ** unchanged soon exceeds
        # what a timedelta can hold
        cap = self.max.total_seconds()
        grown = min(cap, self.first.total_seconds() * self.factor ** min(unchanged, 64))
        by_age = min(cap, age.total_seconds() * self.age_factor)
        return timedelta(seconds=max(grown, by_age))

    def next_due(
        self, *, fetched_at: datetime, first_seen: datetime, unchanged: int
    ) -> datetime | None:
        """When to fetch again, or None once the page is past `stop_after`."""
        due = fetched_at + self.interval(unchanged, fetched_at - first_seen)
        if due > first_seen + self.stop_after:
            return None
        return due


@dataclass(frozen=True, slots=True)
class PreviousCapture:
    """The last capture of a URL that held a body: what a revisit is compared with and refers to.

    The spider attaches it to a request as `request.meta["previous"]`; the WARC extension then
    writes a revisit record instead of a full response when the server says 304 or sends the
    same payload again.
    """

    url: str
    record_id: str
    """`WARC-Record-ID` of the response record that holds the body."""
    target_uri: str
    fetched_at: datetime
    payload_digest: str
    etag: str | None = None
    last_modified: str | None = None
    requisites_asked: bool = False
    """A crawl asked for the requisites of this body (`Capture.requisites_asked` on it or on a
    revisit of it): the same page again is not read for them."""
    warc_filename: str | None = None
    """Where the body's record lies (`Capture.warc_filename`, `warc_offset`): a 304 brings no
    body, so a page whose requisites were never asked for is read from there."""
    warc_offset: int | None = None

    def conditional_headers(self) -> dict[str, str]:
        """`If-None-Match` / `If-Modified-Since` from the last capture's validators."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers
