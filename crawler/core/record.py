"""One archived record as plain data: what every door reads an exchange from.

A `WarcRecord` is a WARC (or ARC) record fully loaded: its WARC headers, the HTTP start line and
headers of an HTTP record, and the rest of its block. `storage.warc` reads them from files and
returns the one it wrote; the crawl hands the record it just wrote to extraction in a `PageItem`.
It imports no framework, so it can travel to an extraction worker and be built anywhere.

WARC-Date is parsed here, by WARC 1.1's profile of ISO 8601 (W3C-DTF: `YYYY`, `YYYY-MM`,
`YYYY-MM-DD`, then `Thh:mm`, `:ss`, a fraction, and `Z` or an offset), which is what real files
hold; warcio's own parser reads `-0800` as a fraction of a second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

_W3CDTF = re.compile(
    r"^\s*(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?)?)?\s*$",
    re.IGNORECASE,
)

_DATE_PREFIX = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


class WarcReadError(ValueError):
    """The bytes at an offset are not a readable WARC record (truncated, garbled, not WARC)."""


def parse_warc_date(value: str) -> datetime:
    """A WARC-Date as a timezone-aware UTC datetime; ValueError when it is not a valid one.

    Missing parts default to the start of the period ('2014-01' is 1 January 2014, midnight); a
    fraction finer than microseconds is cut; a date without a zone is UTC, as WARC requires.
    """
    match = _W3CDTF.match(value)
    if match is None:
        raise ValueError(f"not a W3C-DTF date: {value!r}")
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    moment = datetime(
        int(parts["year"]),
        int(parts["month"] or 1),
        int(parts["day"] or 1),
        int(parts["hour"] or 0),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        int(fraction or 0),
        tzinfo=UTC,
    )
    zone = (parts["zone"] or "Z").upper().replace(":", "")
    if zone != "Z":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        moment -= offset if zone[0] == "+" else -offset
    return moment


@dataclass(frozen=True, slots=True)
class WarcRecord:
    """One record read back from a WARC file (or written to one), fully loaded.

    `http_start_line` is the request or status line ('GET /a?b HTTP/1.1', 'HTTP/1.1 200 OK') and
    `http_headers` the HTTP headers, for request, response and revisit records: as Latin-1 text
    when read by `storage.warc`, so that `.encode("latin-1")` gives the stored bytes. `payload` is
    the rest of the record block as stored: for HTTP records the body as transferred (still
    content-encoded, and still chunked if the archiving client kept the chunking).
    """

    rec_type: str
    warc_headers: tuple[tuple[str, str], ...]
    http_start_line: str | None
    http_headers: tuple[tuple[str, str], ...]
    payload: bytes

    def warc_header(self, name: str) -> str | None:
        """The first WARC header `name` (case-insensitive), or None."""
        return first_header(self.warc_headers, name)

    def http_header(self, name: str) -> str | None:
        """The first HTTP header `name` (case-insensitive), or None."""
        return first_header(self.http_headers, name)

    @property
    def record_id(self) -> str | None:
        return self.warc_header("WARC-Record-ID")

    @property
    def target_uri(self) -> str | None:
        return self.warc_header("WARC-Target-URI")

    @property
    def date(self) -> datetime | None:
        """WARC-Date, timezone-aware (UTC); WarcReadError when it does not parse."""
        value = self.warc_header("WARC-Date")
        if value is None:
            return None
        try:
            return parse_warc_date(value)
        except ValueError as exc:
            raise WarcReadError(f"{self.record_id}: bad WARC-Date {value!r}") from exc

    def fetch_time(self) -> tuple[datetime | None, bool]:
        """When the record was fetched, and whether its WARC-Date was bad: a WARC-Date that does
        not parse (ClueWeb09's day 65, Common Crawl's seven-digit year) gives way to the HTTP
        Date header, else to what of it parses (its year, month and day). None when nothing
        does."""
        value = self.warc_header("WARC-Date")
        if value is not None:
            try:
                return parse_warc_date(value), False
            except ValueError:
                pass
        try:
            served = parsedate_to_datetime(self.http_header("Date") or "")
        except (TypeError, ValueError, IndexError):
            served = None
        if served is not None:
            if served.tzinfo is None:
                served = served.replace(tzinfo=UTC)
            return served.astimezone(UTC), True
        match = _DATE_PREFIX.match(value or "")
        if match is not None:
            year, month, day = (int(part) if part else 1 for part in match.groups())
            for candidate in ((year, month, day), (year, month, 1), (year, 1, 1)):
                try:
                    return datetime(*candidate, tzinfo=UTC), True
                except ValueError:
                    continue
        return None, True

    @property
    def status(self) -> int | None:
        """The HTTP status code of a response or revisit record."""
        if self.rec_type not in ("response", "revisit") or not self.http_start_line:
            return None
        parts = self.http_start_line.split()
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def first_header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first value of header `name` (case-insensitive) in `headers`, or None."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)
