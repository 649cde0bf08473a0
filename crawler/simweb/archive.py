"""What the web archives hold of the simulated web (`SimWeb(archive=True)`), and its truth.

The feature adds four on-topic, in-window articles that the live sites no longer serve: three
that answer 410 or 404 from round 0 on and are linked from nowhere (they were live "earlier",
in February), and one that is live and linked in round 0 and deleted (404) in round 1. A Wayback
Machine and a Common Crawl index (archive_server.py) hold captures of them, taken in February
2025: several captures of one article with different texts, two of them byte-identical (equal
digests, for `collapse=digest`), a capture of an article once it had gone (410), and captures
of live pages (seeds, fillers, an out-of-window article, a home page, a feed, robots.txt, a 301).
Each capture's bytes are what the publisher's site serves for that state, headers included, so a
capture of a live page equals the live page.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime
from functools import cache
from http import HTTPStatus
from typing import Any, Literal

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.simweb.content import Text, data_text, text_from
from crawler.simweb.generator import Generator
from crawler.simweb.plan import Placed, SitePlan
from crawler.simweb.server import negotiate
from crawler.simweb.sites import Site
from crawler.simweb.timeline import Step
from crawler.simweb.truth import SINCE, UNTIL

COLLECTION = "CC-MAIN-2025-08"
"""The Common Crawl collection the index serves."""
LAST_CAPTURE = datetime(2025, 2, 28, 23, 59, tzinfo=UTC)
GONE = {"archived-rubio-visit": 410, "archived-explainer": 404, "archived-rights-groups": 404}
"""Articles that answer these from round 0 on."""
DELETED = {"archived-reactions": (1, 404)}
"""Articles live in round 0 and deleted in a later round: (round, status)."""
SEGMENTS = (
    ("1738831951398.56", "20250206103028-20250206133028-00041"),
    ("1738831952081.12", "20250213102211-20250213132211-00187"),
)
Archive = Literal["wayback", "cc"]
BOTH: frozenset[Archive] = frozenset({"wayback", "cc"})
WAYBACK: frozenset[Archive] = frozenset({"wayback"})
CC: frozenset[Archive] = frozenset({"cc"})


@dataclass(frozen=True, slots=True)
class Shot:
    """One capture to make: of an article (by key) some time after it was published, or of
    another page (a path) at a fixed time."""

    publisher: str
    target: str
    """`Text.key` of an article, or a path ('/rss.xml')."""
    archives: frozenset[Archive]
    after: timedelta = timedelta(hours=2)
    """Articles: how long after publication (the capture stays in February)."""
    at: str = ""
    """Other pages: the 14-digit timestamp."""
    revised: bool = False
    """The article's revised text (data/archived.json), not the first."""
    gone: bool = False
    """The article once it answered 404 or 410."""


SHOTS = (
    Shot("ledgerline", "archived-rubio-visit", BOTH, timedelta(hours=1, minutes=25, seconds=12)),
    Shot("ledgerline", "archived-rubio-visit", WAYBACK, timedelta(days=3, hours=20), revised=True),
    Shot("ledgerline", "archived-rubio-visit", WAYBACK, timedelta(days=8, hours=4), revised=True),
    Shot("ledgerline", "archived-rubio-visit", WAYBACK, timedelta(days=22, hours=18), gone=True),
    Shot("harbor-courier", "archived-explainer", BOTH, timedelta(hours=2, minutes=45, seconds=1)),
    Shot("justice-dispatch", "archived-rights-groups", CC, timedelta(hours=5, minutes=40)),
    Shot("justice-dispatch", "archived-rights-groups", CC, timedelta(days=7), revised=True),
    Shot("continental-herald", "archived-reactions", BOTH, timedelta(days=1, minutes=50)),
    Shot("ledgerline", "seed-000", WAYBACK, timedelta(hours=11, minutes=8)),
    Shot("harbor-courier", "seed-001", WAYBACK, timedelta(hours=9, minutes=5)),
    Shot("justice-dispatch", "seed-003", CC, timedelta(days=2, hours=1)),
    Shot("harbor-courier", "background-january", WAYBACK, timedelta(days=12)),
    Shot("continental-herald", "inauguration-2024", BOTH, timedelta(days=246)),
    Shot("ledgerline", "ledgerline-2", WAYBACK),
    Shot("justice-dispatch", "justice-dispatch-1", CC),
    Shot("justice-dispatch", "justice-dispatch-2", CC, timedelta(hours=6)),
    Shot("ledgerline", "/", WAYBACK, at="20250210000000"),
    Shot("ledgerline", "/rss.xml", WAYBACK, at="20250210000500"),
    Shot("justice-dispatch", "/robots.txt", BOTH, at="20250209030303"),
    Shot("justice-dispatch", "/", CC, at="20250209030401"),
    Shot("continental-herald", "redirect", WAYBACK, at="20250212131415"),
)
"""Every capture: the redirect is the old URL of Continental Herald's seed (a 301)."""


@dataclass(frozen=True, slots=True)
class ArchiveCapture:
    """One capture in one archive, as its index lists it and as its replay serves it."""

    archive: Archive
    url: str
    """The URL as captured (the CDX `original`)."""
    timestamp: str
    """14 digits, UTC."""
    status: int
    mime: str
    digest: str
    """Base32 SHA-1 of the payload, as CDX indexes give it."""
    length: int
    """The compressed WARC record's length."""
    offset: int
    filename: str
    """cc: the WARC file on the data server (its path); wayback: the archive's own file."""
    headers: tuple[tuple[str, str], ...]
    body: bytes
    article: str | None
    """The canonical URL of the article it shows, if it shows one (status 200)."""
    title: str
    paragraphs: tuple[str, ...]
    on_topic: bool
    in_window: bool
    """The article was published in the story window."""
    live: int | None
    """What the live site answers for the article in round 0 when it is not 200 (404, 410)."""


@dataclass(frozen=True)
class ArchiveTruth:
    wayback: str
    """'http://127.0.0.1:PORT/': /cdx/search/cdx, /web/{timestamp}id_/{url}, /robots.txt."""
    cc_index: str
    """'http://127.0.0.1:PORT/': /{collection}-index, /collinfo.json."""
    cc_data: str
    """'http://127.0.0.1:PORT/': the WARC files, with Range requests."""
    collection: str
    captures: tuple[ArchiveCapture, ...]
    gone: Mapping[str, tuple[int, int]]
    """Article URL -> (first round it answers so, 404 or 410), for the articles only archives
    keep."""

    def of(self, archive: Archive) -> list[ArchiveCapture]:
        return [c for c in self.captures if c.archive == archive]

    def recoverable(self, n: int = 0) -> set[str]:
        """On-topic, in-window articles that only the archives hold from round `n` on."""
        return {
            c.article
            for c in self.captures
            if c.article and c.on_topic and c.in_window and c.article in self.gone
            if self.gone[c.article][0] <= n
        }


class ArchivedArticles:
    """The feature: the articles only archives keep (`add`, a plan_web addition), the deletion
    of the one that goes later (`steps`)."""

    def __init__(self) -> None:
        self.steps = [
            Step(n, key, "deleted", status=status) for key, (n, status) in DELETED.items()
        ]

    def add(self, sites: dict[str, SitePlan], generator: Generator) -> None:
        for key, item in archived_texts().items():
            site = sites[item.publisher]
            section = site.spec.section(site.spec.seed_section)
            path = site.path_for(item.text, section)
            if key in GONE:  # linked and listed nowhere, and gone
                gone = GONE[key]
                article = Placed(item.text, path, section, "archived", in_sections=False, gone=gone)
                site.add(dataclasses.replace(article, listed=False))
            else:
                site.add(Placed(item.text, path, section, "archived", in_archive=True))


@dataclass(frozen=True, slots=True)
class ArchivedText:
    publisher: str
    text: Text
    revised: Text | None
    revised_at: datetime | None


@cache
def archived_texts() -> dict[str, ArchivedText]:
    """data/archived.json: each article's first text, and its revised text and when."""
    out: dict[str, ArchivedText] = {}
    for item in json.loads(data_text("archived.json"))["articles"]:
        text = text_from(item, item["id"])
        revised = item.get("revised")
        new = when = None
        if revised:
            new = dataclasses.replace(
                text, headline=revised["headline"], paragraphs=tuple(revised["paragraphs"])
            )
            when = datetime.fromisoformat(revised["modified"])
        out[item["id"]] = ArchivedText(item["publisher"], text, new, when)
    return out


SiteFor = Callable[[str, list[Placed]], Site]
"""(publisher slug, its articles in some state) -> its site serving that state."""


@dataclass(frozen=True, slots=True)
class _Exchange:
    archive: Archive
    url: str
    stamp: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    shown: Text | None
    """The article text the page shows (a 200 of an article)."""
    live: int | None


def capture_all(
    plan: Mapping[str, list[Placed]], site_for: SiteFor
) -> tuple[list[ArchiveCapture], dict[str, bytes], dict[str, tuple[int, int]]]:
    """Every capture of `SHOTS` (`plan` is round 0's), written in its archive's WARC files;
    the files by name; the articles gone from the live sites, by URL."""
    made: list[_Exchange] = []
    gone: dict[str, tuple[int, int]] = {}
    for shot in SHOTS:
        articles = plan[shot.publisher]
        site = site_for(shot.publisher, articles)
        placed = next((a for a in articles if a.text.key == shot.target), None)
        shown: Text | None = None
        if placed is None:
            when = datetime.strptime(shot.at, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            path = next(iter(site.redirects)) if shot.target == "redirect" else shot.target
        else:
            url = site.url(placed.path)
            if placed.text.key in GONE:
                gone[url] = (0, GONE[placed.text.key])
            if placed.text.key in DELETED:
                gone[url] = DELETED[placed.text.key]
            when = min(placed.text.published.astimezone(UTC) + shot.after, LAST_CAPTURE)
            path = placed.path
            if not shot.gone:
                state = _state(placed, shot.revised)
                shown = state.text
                site = site_for(shot.publisher, [state if a is placed else a for a in articles])
        status, headers, body = _exchange(site, path, when)
        live = placed.gone if placed is not None else None
        for archive in sorted(shot.archives):
            stamp = f"{when:%Y%m%d%H%M%S}"
            made.append(
                _Exchange(archive, site.url(path), stamp, status, headers, body, shown, live)
            )
    captures, files = _written(made)
    return captures, files, gone


def _state(placed: Placed, revised: bool) -> Placed:
    """The article as a capture saw it: open, with its first or its revised text."""
    item = archived_texts().get(placed.text.key)
    if revised:
        assert item is not None and item.revised is not None
        return dataclasses.replace(
            placed, text=item.revised, modified=item.revised_at, gone=None, wall=None
        )
    return dataclasses.replace(placed, gone=None, wall=None)


def _exchange(
    site: Site, path: str, when: datetime
) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    """What the site answered at `when` to a plain GET of `path`: status, headers, body."""
    route, _, query = path.partition("?")
    status, headers, body, _ = negotiate(site.respond(route, query), Message())
    full = [
        ("Date", format_datetime(when, usegmt=True)),
        ("Server", site.spec.server),
        *headers,
        ("Content-Length", str(len(body))),
    ]
    return status, tuple(full), body


def _written(made: list[_Exchange]) -> tuple[list[ArchiveCapture], dict[str, bytes]]:
    """The captures, each a request and a response record (one gzip member each) in its
    archive's WARC files, in time order, with the response record's offset and length."""
    files: dict[str, io.BytesIO] = {}
    writers: dict[str, WARCWriter] = {}
    out = []
    for made_one in sorted(made, key=lambda m: (m.stamp, m.url, m.archive)):
        name = _filename(made_one.archive, made_one.stamp)
        if name not in files:
            files[name] = io.BytesIO()
            writers[name] = WARCWriter(files[name], gzip=True, warc_version="1.0")
            writers[name].write_record(_warcinfo(writers[name], name, made_one.stamp))
        writer, buffer = writers[name], files[name]
        writer.write_record(_request(writer, made_one))
        offset = buffer.tell()
        writer.write_record(_response(writer, made_one))
        out.append(_capture(made_one, name, offset, buffer.tell() - offset))
    return out, {name: buffer.getvalue() for name, buffer in files.items()}


def _capture(made: _Exchange, name: str, offset: int, length: int) -> ArchiveCapture:
    text = made.shown if made.status == 200 else None
    return ArchiveCapture(
        archive=made.archive,
        url=made.url,
        timestamp=made.stamp,
        status=made.status,
        mime=dict(made.headers).get("Content-Type", "").split(";")[0].strip() or "unk",
        digest=base64.b32encode(hashlib.sha1(made.body).digest()).decode(),
        length=length,
        offset=offset,
        filename=name,
        headers=made.headers,
        body=made.body,
        article=made.url if text else None,
        title=text.headline if text else "",
        paragraphs=text.paragraphs if text else (),
        on_topic=bool(text and text.on_topic),
        in_window=bool(text and SINCE <= text.published.date() <= UNTIL),
        live=made.live,
    )


def _filename(archive: Archive, stamp: str) -> str:
    if archive == "wayback":
        return "wayback/simweb-captures.warc.gz"
    segment, span = SEGMENTS[0] if stamp < "20250213" else SEGMENTS[1]
    return f"crawl-data/{COLLECTION}/segments/{segment}/warc/{COLLECTION[:8]}{span}.warc.gz"


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, ' '.join(parts))}>"


def _iso(stamp: str) -> str:
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:]}Z"


def _warcinfo(writer: WARCWriter, name: str, stamp: str) -> Any:
    fields = (
        "software: crawler.simweb archive\r\nformat: WARC File Format 1.0\r\n"
        f"isPartOf: {COLLECTION}\r\noperator: simulated web archive\r\n"
    ).encode()
    headers = {
        "WARC-Date": _iso(stamp),
        "WARC-Record-ID": _record_id("warcinfo", name),
        "WARC-Filename": name.rsplit("/", 1)[1],
    }
    return writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(fields), length=len(fields),
        warc_content_type="application/warc-fields", warc_headers_dict=headers,
    )  # fmt: skip


def _request(writer: WARCWriter, made: _Exchange) -> Any:
    host, _, path = made.url.split("://", 1)[1].partition("/")
    agent = "CCBot/2.0" if made.archive == "cc" else "archive.org_bot"
    http = StatusAndHeaders(
        f"GET /{path} HTTP/1.1",
        [("Host", host), ("User-Agent", agent), ("Accept", "*/*")],
        protocol="",
        is_http_request=True,
    )
    headers = {
        "WARC-Date": _iso(made.stamp),
        "WARC-Record-ID": _record_id(made.archive, "request", made.stamp, made.url),
    }
    return writer.create_warc_record(
        made.url, "request", http_headers=http, warc_headers_dict=headers
    )


def _response(writer: WARCWriter, made: _Exchange) -> Any:
    reason = HTTPStatus(made.status).phrase
    http = StatusAndHeaders(f"{made.status} {reason}", list(made.headers), protocol="HTTP/1.1")
    headers = {
        "WARC-Date": _iso(made.stamp),
        "WARC-Record-ID": _record_id(made.archive, "response", made.stamp, made.url),
        "WARC-IP-Address": "127.0.0.1",
    }
    return writer.create_warc_record(
        made.url, "response", payload=io.BytesIO(made.body), length=len(made.body),
        http_headers=http, warc_headers_dict=headers,
    )  # fmt: skip
