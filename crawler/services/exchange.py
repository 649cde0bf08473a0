"""The first half of the one door: an archived exchange as the capture the database keeps.

Whoever wrote the record — our `WarcWriter` during a crawl (it returns the record it wrote), the
crawl before a crash (recovery), another crawler (ingest) — `capture_of` is the only place a
`Capture` is made from one, and `RedirectIndex` the only place redirect aliases are worked out.
What is wrong with a record that is still stored is a flag on its capture
(`crawler.core.capture.FLAGS`): the reader's flags (`storage.warcscan`) plus those seen in its
headers here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from urllib.parse import urljoin

from w3lib.url import safe_url_string

from crawler.core.capture import BAD_DATE, NO_CONTENT_TYPE, TRUNCATED, Capture
from crawler.core.page import media_type
from crawler.core.record import WarcRecord
from crawler.core.urls import normalise_url
from storage.warc import Location, compute_payload_digest, revisit_profile
from storage.warcscan import Damage, ScannedRecord

EXCHANGES = ("response", "revisit", "resource")
"""Record types that are captures of a fetch; the others are not."""
MAX_RECORD_ID = 100
"""The longest WARC-Record-ID the captures table holds."""


class NotACapture(ValueError):
    """A record that is not the capture of an HTTP exchange (a `dns:` lookup, a record without
    URL or date), with why."""


@dataclass(frozen=True, slots=True)
class Archived:
    """An exchange as archived: its response, revisit or resource record, and where it lies."""

    record: WarcRecord
    filename: str
    """As the capture names it: inside the data directory's WARC directory, or an absolute path
    (`storage.warc.resolve_warc_path`)."""
    offset: int
    length: int
    request_record_id: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    """What the reader found wrong with the record (`storage.warcscan.ScannedRecord.flags`)."""
    declared_length: int | None = None
    via: str | None = None
    """The web archive the record was copied from (its `metadata` record's `via` field)."""

    @classmethod
    def scanned(
        cls, item: ScannedRecord, filename: str, request_record_id: str | None = None
    ) -> Archived:
        """A record as `storage.warcscan.scan` read it."""
        return cls(
            item.record,
            filename,
            item.offset,
            item.length,
            request_record_id,
            item.flags,
            item.declared_length,
        )

    @classmethod
    def written(cls, location: Location) -> Archived:
        """The record `WarcWriter` just wrote (its response or revisit record)."""
        return cls(
            location.record,
            location.filename,
            location.offset,
            location.length,
            location.request_record_id,
        )


def capture_of(
    archived: Archived, *, refers_to: str | None = None, requisites_asked: bool = False
) -> Capture:
    """The capture of an archived exchange; `NotACapture` when the record is none.

    `refers_to` names the record holding a revisit's body when the revisit found it otherwise
    than by its WARC-Refers-To (ingest looks originals up by URI and date, then digest). A 304
    that repeats no validator inherits the previous capture's when it is stored
    (`storage.db.captures`), whichever door stores it. `requisites_asked`: the crawl that
    archived it asks for the requisites of the page (`Capture.requisites_asked`).
    """
    record = archived.record
    url, (fetched_at, bad_date) = record.target_uri, record.fetch_time()
    record_id = record.record_id
    if record.rec_type not in EXCHANGES:
        raise NotACapture(f"a {record.rec_type} record")
    if not url or fetched_at is None or not record_id:
        raise NotACapture(f"a {record.rec_type} record without WARC-Target-URI or WARC-Date")
    if len(record_id) > MAX_RECORD_ID:
        raise NotACapture(f"WARC-Record-ID longer than {MAX_RECORD_ID} characters")
    if record.rec_type == "resource":
        status: int | None = 200
        content_type = record.warc_header("Content-Type")
    else:
        status, content_type = record.status, record.http_header("Content-Type")
    if status is None:
        raise NotACapture(f"a {record.rec_type} record that holds no HTTP response")
    flags = set(archived.flags)
    revisit = record.rec_type == "revisit"
    if record.warc_header("WARC-Truncated") and not revisit:
        flags.add(TRUNCATED)  # a revisit is cut on purpose: WARC 1.1 §6.7.2
    if bad_date:
        flags.add(BAD_DATE)
    if not media_type(content_type) and record.payload and not revisit:
        flags.add(NO_CONTENT_TYPE)
    location = record.http_header("Location") if 300 <= status < 400 else None
    digest = record.warc_header("WARC-Payload-Digest")
    if not digest and not revisit:
        digest = compute_payload_digest(record.payload)
    return Capture(
        url=url,
        fetched_at=fetched_at,
        status=status,
        content_type=media_type(content_type) or None,
        location=absolute_location(url, location),
        warc_filename=archived.filename,
        warc_offset=archived.offset,
        warc_length=archived.length,
        warc_record_id=record_id,
        request_record_id=archived.request_record_id,
        payload_digest=digest or "",
        record_type=record.rec_type,
        revisit_profile=revisit_profile(record.warc_header("WARC-Profile")) if revisit else None,
        refers_to=(refers_to or record.warc_header("WARC-Refers-To")) if revisit else None,
        etag=record.http_header("ETag"),
        last_modified=record.http_header("Last-Modified"),
        flags=tuple(sorted(flags)),
        declared_length=archived.declared_length,
        via=archived.via,
        requisites_asked=requisites_asked,
    )


def absolute_location(url: str, location: str | None) -> str | None:
    """A redirect's Location header as an absolute URL, its non-ASCII bytes escaped as UTF-8
    percent-escapes, as Scrapy's redirect middleware does (header text is read as Latin-1, one
    character per byte: those bytes are what the server sent)."""
    if not location:
        return None
    try:
        raw: str | bytes = location.strip().encode("latin-1")
    except UnicodeEncodeError:
        raw = location.strip()
    return urljoin(url, safe_url_string(raw))


class RedirectIndex:
    """The redirects met so far, to tell which URLs led to a page: {normalised target:
    normalised sources}. A crawl knows its chain from Scrapy (`add_chain`); recovery and ingest
    learn it from the redirects' captures (`add`), across the files of a run."""

    def __init__(self) -> None:
        self._sources: dict[str, list[str]] = {}

    def add(self, capture: Capture) -> None:
        """Note a capture, which counts when it is a redirect with a Location."""
        if capture.location and 300 <= capture.status < 400:
            self._link(capture.url, capture.location)

    def add_chain(self, urls: Sequence[str]) -> None:
        """Note a redirect chain: each URL redirected to the next."""
        for source, target in pairwise(urls):
            self._link(source, target)

    def _link(self, source: str, target: str) -> None:
        try:
            source, target = normalise_url(source), normalise_url(target)
        except ValueError:
            return
        known = self._sources.setdefault(target, [])
        if source != target and source not in known:
            known.append(source)

    def chain(self, url: str) -> tuple[str, ...]:
        """Every URL that led to `url`, nearest first (normalised)."""
        final = normalise_url(url)
        chain: list[str] = []
        todo = list(self._sources.get(final, ()))
        while todo:
            source = todo.pop(0)
            if source != final and source not in chain:
                chain.append(source)
                todo += self._sources.get(source, ())
        return tuple(chain)


LOOKAHEAD = 16
"""Records an exchange waits for its request record: crawlers write it just before or after."""


def paired(
    items: Iterable[ScannedRecord | Damage], filename: str
) -> Iterator[Archived | ScannedRecord | Damage]:
    """The records of a file read by `storage.warcscan.scan`, each response, revisit and resource
    as an `Archived` with the WARC-Record-ID of its request record (the request concurrent to it,
    or the one it names concurrent to itself, within a few records either way); the other
    records and the damage as they are, in file order but for that short wait."""
    waiting: list[Archived] = []
    requests: dict[str, str] = {}
    """{record the request is concurrent to: request id}, and {request id: request id}."""
    vias: dict[str, str] = {}
    """{record id: archive} from the metadata records `newsarchive backfill` writes."""

    def settled(entry: Archived) -> Archived:
        record = entry.record
        concurrent = record.warc_header("WARC-Concurrent-To")
        request = requests.get(record.record_id or "") or (
            requests.get(concurrent) if concurrent else None
        )
        if request:
            entry = replace(entry, request_record_id=request)
        via = vias.get(record.record_id or "")
        return replace(entry, via=via) if via else entry

    for item in items:
        if isinstance(item, ScannedRecord) and item.record.rec_type in EXCHANGES:
            waiting.append(Archived.scanned(item, filename))
        else:
            if isinstance(item, ScannedRecord) and item.record.rec_type == "request":
                request_id = item.record.record_id
                concurrent = item.record.warc_header("WARC-Concurrent-To")
                if request_id:
                    requests[request_id] = request_id
                    if concurrent:
                        requests[concurrent] = request_id
            if isinstance(item, ScannedRecord) and item.record.rec_type == "metadata":
                concurrent = item.record.warc_header("WARC-Concurrent-To")
                via = metadata_via(item.record)
                if concurrent and via:
                    vias[concurrent] = via
            yield item
        while len(waiting) > LOOKAHEAD:
            yield settled(waiting.pop(0))
        if len(requests) > 4 * LOOKAHEAD:
            requests = dict(list(requests.items())[-2 * LOOKAHEAD :])
        if len(vias) > 4 * LOOKAHEAD:
            vias = dict(list(vias.items())[-2 * LOOKAHEAD :])
    for entry in waiting:
        yield settled(entry)


VIA_FIELD = "via"
"""The field of a backfill's metadata record that names the archive a record was copied from."""


def metadata_via(record: WarcRecord) -> str | None:
    """The `via` field of a `metadata` record (application/warc-fields), if it has one."""
    if record.rec_type != "metadata":
        return None
    for line in record.payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == VIA_FIELD and value.strip():
            return value.strip()[:64]
    return None


def is_capture(item: ScannedRecord) -> bool:
    """Whether the door makes a capture of a record read by the scanner (what `verify` expects a
    capture row for)."""
    if item.record.rec_type not in EXCHANGES:
        return False
    try:
        capture_of(Archived.scanned(item, ""))
    except NotACapture:
        return False
    return True
