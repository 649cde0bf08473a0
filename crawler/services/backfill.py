"""Coverage from the past: the story's sources as web archives hold them (docs/backfill.md).

For each `[[archives]]` of the story file and each source's host, the archive's CDX API is paged
through for the story window (200 HTML captures only); the captures are collapsed by digest and
those whose URL already has a capture of the same digest are skipped; the rest are fetched
politely (the archive's robots.txt, a delay between requests and a bound on requests at once per
archive): raw `id_` replay for a `wayback` archive, an HTTP Range request of the record for a
`commoncrawl` one. Each is written to our WARC files (`WarcWriter.write_archived` /
`write_copied`, with a metadata record naming the archive) and goes through the one door for
archived records (`crawler.services.files.ArchiveDoor`, as ingest): its capture keeps the
archive's capture time as `fetched_at` and the archive's name as `via`.

Plain HTTP (urllib, a thread per request in flight) rather than a Scrapy crawl: every request goes
to one of a few archive hosts, not to the web, and what is archived is not the exchange on the
wire (the WARC extension's rule) but the capture the archive holds, under its original URL and
time.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode, urljoin, urlsplit

from crawler.core.story import ArchiveSource, Story
from crawler.core.urls import normalise_url
from crawler.extraction.options import ExtractOptions
from crawler.services.exchange import VIA_FIELD, Archived, NotACapture, capture_of
from crawler.services.files import ArchiveDoor, Entry
from crawler.services.versions import story_decider
from storage.db import queries
from storage.db.repository import Repository
from storage.db.warcfiles import settle
from storage.warc import (
    GZIP_LEVEL,
    Copied,
    HttpResponseData,
    WarcWriter,
    compute_payload_digest,
)

logger = logging.getLogger(__name__)

NEW_VERSIONS = "new_versions"
"""The stat of the versions the run added (all archives together)."""
DISCOVERED_VIA = "backfill"
"""`urls.discovered_via` of a URL first seen in a web archive."""
PAGE_SIZE = 1000
"""Rows asked of a wayback CDX server at a time (`limit`, then its resume key)."""
TIMEOUT = 30.0
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer"}
PASSED_THROUGH = {"set-cookie"}
"""Original headers a replay that prefixes the others may send as they were."""
MEMENTO = {"memento-datetime", "link", "content-location", "preference-applied"}
"""Headers a replay adds of its own (RFC 7089), not the original server's."""


class BackfillError(Exception):
    """An archive that cannot be used at all (unreachable, robots.txt forbids its index)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One capture an archive's index lists."""

    archive: ArchiveSource
    url: str
    timestamp: str
    digest: str
    """'sha1:BASE32', as our captures keep it."""
    filename: str = ""
    offset: int = 0
    length: int = 0

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclass
class Report:
    """What a backfill did, counted per archive (`{archive}/...`)."""

    stats: Counter[str] = field(default_factory=Counter)

    def summary(self, archives: Sequence[ArchiveSource]) -> list[str]:
        """One line per archive: its requests and answers, its index, what was stored."""
        lines = []
        for archive in archives:
            mine = {
                key.split("/", 1)[1]: n
                for key, n in self.stats.items()
                if key.startswith(archive.name + "/")
            }

            requests = sum(n for k, n in mine.items() if k.startswith("requests/"))
            lines.append(
                f"{archive.name} ({archive.kind}): {requests} requests "
                f"({_listed(mine, 'requests') or '-'}); "
                f"answers: {_listed(mine, 'answers') or 'none'}; "
                f"index: {mine.get('cdx/rows', 0)} captures listed, "
                f"{mine.get('cdx/duplicates', 0)} duplicates, "
                f"{mine.get('cdx/already_stored', 0)} already stored; "
                f"fetched {mine.get('fetched', 0)}, failed {mine.get('failed', 0)}, "
                f"refused by robots.txt {mine.get('robots_refused', 0)}; "
                f"stored {mine.get('captures', 0)} captures, {mine.get('pages', 0)} pages "
                f"({mine.get('articles', 0)} articles, {mine.get('relevant', 0)} relevant)"
            )
        lines.append(f"new versions: {self.stats[NEW_VERSIONS]}")
        return lines

    @property
    def fetched(self) -> int:
        return sum(v for k, v in self.stats.items() if k.endswith("/fetched"))

    @property
    def failed(self) -> int:
        return sum(v for k, v in self.stats.items() if k.endswith("/failed"))


def _listed(stats: dict[str, int], kind: str) -> str:
    """'3 cdx, 5 replay': the counts of `kind/…` stats."""
    return ", ".join(
        f"{n} {key.removeprefix(kind + '/')}"
        for key, n in sorted(stats.items())
        if key.startswith(kind + "/")
    )


@dataclass(frozen=True, slots=True)
class Answer:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ArchiveClient:
    """Requests to one archive: its robots.txt obeyed, at most `concurrency` at once, and
    `delay` seconds between the starts of two requests to one host; each request and answer
    counted in `stats` under the archive's name."""

    def __init__(
        self, archive: ArchiveSource, stats: Counter[str], *, user_agent: str, lock: threading.Lock
    ) -> None:
        self.archive = archive
        self.stats = stats
        self.stats_lock = lock
        self.user_agent = user_agent
        self.slots = threading.BoundedSemaphore(archive.concurrency)
        self._next: dict[str, float] = {}
        self._timing = threading.Lock()
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_lock = threading.Lock()
        self._opener = urllib.request.build_opener(_NoRedirects())

    def count(self, key: str, n: int = 1) -> None:
        with self.stats_lock:
            self.stats[f"{self.archive.name}/{key}"] += n

    def check(self) -> None:
        """Read the robots.txt of the archive's hosts; `BackfillError` when one cannot be reached
        or forbids its index."""
        for base in (self.archive.cdx, self.archive.data):
            if base:
                self._robots_of(base)
        if not self.allowed(self.archive.cdx):
            raise BackfillError(
                f"archive {self.archive.name!r}: its robots.txt forbids {self.archive.cdx}"
            )

    def allowed(self, url: str) -> bool:
        return self._robots_of(url).can_fetch(self.user_agent, url)

    def get(self, url: str, kind: str, headers: dict[str, str] | None = None) -> Answer:
        """GET `url` politely, counted as a request of `kind`; OSError when no answer came."""
        with self.slots:
            self._wait(url)
            return self._fetch(url, kind, headers or {})

    def _robots_of(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            found = self._robots.get(origin)
            if found is not None:
                return found
            parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
            try:
                self._wait(origin + "/")
                answer = self._fetch(origin + "/robots.txt", "robots", {})
            except OSError as exc:
                raise BackfillError(
                    f"archive {self.archive.name!r} cannot be reached at {origin}/ ({_why(exc)})"
                ) from exc
            if answer.status in (401, 403):
                parser.parse(["User-agent: *", "Disallow: /"])
            elif 200 <= answer.status < 300:
                parser.parse(answer.body.decode("utf-8", "replace").splitlines())
            else:
                parser.parse([])  # 404 and other answers: no rules
            self._robots[origin] = parser
            return parser

    def _wait(self, url: str) -> None:
        host = urlsplit(url).netloc
        with self._timing:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.archive.delay
        if start > now:
            time.sleep(start - now)

    def _fetch(self, url: str, kind: str, headers: dict[str, str]) -> Answer:
        self.count(f"requests/{kind}")
        request = urllib.request.Request(
            url, headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip", **headers}
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT) as response:
                answer = Answer(
                    url, response.status, list(response.headers.items()), response.read()
                )
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            answer = Answer(url, exc.code, list(exc.headers.items()), body)
        except (urllib.error.URLError, OSError) as exc:
            self.count("answers/none")
            raise OSError(_why(exc)) from exc
        self.count(f"answers/{answer.status}")
        if kind != "replay" and (answer.header("Content-Encoding") or "").lower() == "gzip":
            answer = _decoded(answer)
        return answer


def _decoded(answer: Answer) -> Answer:
    """An answer whose gzip Content-Encoding is the transfer's, not the archived body's."""
    try:
        body = gzip.decompress(answer.body)
    except (OSError, EOFError, zlib.error) as exc:
        raise OSError(f"{answer.url}: a gzip body that does not decode ({exc})") from exc
    headers = [(k, v) for k, v in answer.headers if k.lower() != "content-encoding"]
    return Answer(answer.url, answer.status, headers, body)


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc)


# -- the index -----------------------------------------------------------------------------------


def window(story: Story, archive: ArchiveSource) -> dict[str, str]:
    """`from` and `to` as CDX APIs take them: the archive's capture window, else the story's."""
    since = archive.since or story.since
    until = archive.until or story.until
    out = {}
    if since is not None:
        out["from"] = f"{since:%Y%m%d}000000"
    if until is not None:
        out["to"] = f"{until:%Y%m%d}235959"
    return out


def _query(base: str, params: Sequence[tuple[str, str]]) -> str:
    return base + ("&" if "?" in base else "?") + urlencode(params)


def wayback_rows(client: ArchiveClient, host: str, story: Story) -> Iterator[dict[str, str]]:
    """Every row a wayback CDX server lists for `host` in the window, page by page (resume
    keys); a server that gives none (pywb) is asked once, without a limit."""
    params = [
        ("url", host),
        ("matchType", "host"),
        *window(story, client.archive).items(),
        ("filter", "statuscode:200"),
        ("filter", "mimetype:text/html"),
        ("collapse", "digest"),
        ("output", "json"),
        ("limit", str(PAGE_SIZE)),
        ("showResumeKey", "true"),
    ]
    resume = ""
    while True:
        asked = params + ([("resumeKey", resume)] if resume else [])
        answer = client.get(_query(client.archive.cdx, asked), "cdx")
        if answer.status == 404:
            return
        if answer.status != 200:
            raise OSError(f"{answer.url} answered HTTP {answer.status}")
        rows, resume = parse_cdx(answer.body)
        yield from rows
        client.count("cdx/pages")
        if not resume:
            return


def parse_cdx(body: bytes) -> tuple[list[dict[str, str]], str]:
    """The rows of a CDX answer with `output=json` and its resume key: the Wayback Machine's
    JSON array (a row of field names first, an empty row and the key last) or pywb's and Common
    Crawl's JSON lines. Field names are made the Wayback's (`original`, `statuscode`,
    `mimetype`). ValueError when it is neither."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return [], ""
    rows: list[dict[str, str]] = []
    resume = ""
    if text.startswith("["):
        table = json.loads(text)
        if not isinstance(table, list) or not table:
            return [], ""
        names = [str(n) for n in table[0]]
        for i, row in enumerate(table[1:], start=1):
            if not row:  # the empty row before the resume key
                rest = table[i + 1 :]
                resume = str(rest[0][0]) if rest and rest[0] else ""
                break
            rows.append(dict(zip(names, (str(v) for v in row), strict=False)))
    else:
        for line in text.splitlines():
            if line.strip():
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("a CDX line that is not a JSON object")
                rows.append({str(k): str(v) for k, v in item.items()})
    aliases = {"url": "original", "status": "statuscode", "mime": "mimetype"}
    return [{aliases.get(k, k): v for k, v in row.items()} for row in rows], resume


def commoncrawl_rows(client: ArchiveClient, host: str, story: Story) -> Iterator[dict[str, str]]:
    """Every row a Common Crawl index lists for `host` in the window, page by page."""
    scope = [("url", host), ("matchType", "host")]
    answer = client.get(
        _query(client.archive.cdx, [*scope, ("showNumPages", "true"), ("output", "json")]), "cdx"
    )
    if answer.status == 404:
        return
    if answer.status != 200:
        raise OSError(f"{answer.url} answered HTTP {answer.status}")
    pages = int(json.loads(answer.body).get("pages", 0))
    for page in range(pages):
        params = [
            *scope,
            *window(story, client.archive).items(),
            ("filter", "status:200"),
            ("filter", "mime:text/html"),
            ("output", "json"),
            ("page", str(page)),
        ]
        answer = client.get(_query(client.archive.cdx, params), "cdx")
        client.count("cdx/pages")
        if answer.status == 404:  # nothing on this page in the window
            continue
        if answer.status != 200:
            raise OSError(f"{answer.url} answered HTTP {answer.status}")
        yield from parse_cdx(answer.body)[0]


def candidates(client: ArchiveClient, story: Story) -> list[Candidate]:
    """The 200 HTML captures of the story's sources in its window that the archive lists."""
    lister = wayback_rows if client.archive.kind == "wayback" else commoncrawl_rows
    out = []
    for source in story.sources:
        for row in lister(client, source.host, story):
            client.count("cdx/rows")
            status, mime = row.get("statuscode", ""), row.get("mimetype", "")
            url, stamp, digest = (
                row.get("original", ""),
                row.get("timestamp", ""),
                row.get("digest", ""),
            )
            if status != "200" or mime.split(";")[0].strip() != "text/html" or not url:
                client.count("cdx/not_html_200")
                continue
            if len(stamp) != 14 or not stamp.isdigit():
                client.count("cdx/bad_rows")
                continue
            try:
                source_of = story.source_for(url)
            except ValueError:
                source_of = None
            if source_of is None or source_of.host != source.host:
                client.count("cdx/other_hosts")
                continue
            out.append(
                Candidate(
                    client.archive,
                    url,
                    stamp,
                    digest if digest.startswith("sha1:") else f"sha1:{digest}",
                    row.get("filename", ""),
                    int(row.get("offset") or 0),
                    int(row.get("length") or 0),
                )
            )
    return out


# -- fetching ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetched:
    candidate: Candidate
    answer: Answer
    fetched_at: datetime
    asked: str


def replay_url(archive: ArchiveSource, candidate: Candidate) -> str:
    return archive.replay.replace("{timestamp}", candidate.timestamp).replace(
        "{url}", candidate.url
    )


def fetch(client: ArchiveClient, candidate: Candidate) -> Fetched | str:
    """The capture from the archive, or why not."""
    archive = client.archive
    if archive.kind == "wayback":
        url, headers, kind = replay_url(archive, candidate), {}, "replay"
    else:
        if not candidate.filename or candidate.length <= 0:
            return "the index gives no filename, offset and length"
        url = urljoin(
            archive.data if archive.data.endswith("/") else archive.data + "/", candidate.filename
        )
        last = candidate.offset + candidate.length - 1
        headers, kind = {"Range": f"bytes={candidate.offset}-{last}"}, "range"
    if not client.allowed(url):
        client.count("robots_refused")
        return "refused by the archive's robots.txt"
    fetched_at = datetime.now(UTC)
    try:
        answer = client.get(url, kind, headers)
    except OSError as exc:
        return f"no answer: {exc}"
    expected = 206 if kind == "range" else 200
    if answer.status != expected:
        return f"{url} answered HTTP {answer.status}"
    return Fetched(candidate, answer, fetched_at, url)


def original_response(answer: Answer) -> HttpResponseData:
    """The archived response that a raw replay stands for: the archived status and body, the
    headers the archive kept (`X-Archive-Orig-*` named back; or, from an archive that replays
    them as they were, its headers but those it adds itself), Content-Type and Content-Encoding
    as the body comes (never decoded here: its bytes are what the archive holds, or what it
    chose to send), and a Content-Length of it."""
    prefix = "x-archive-orig-"
    prefixed = [(k[len(prefix) :], v) for k, v in answer.headers if k.lower().startswith(prefix)]
    own = {k.lower(): v for k, v in answer.headers}
    kept: list[tuple[str, str]] = []
    if prefixed:
        for name, value in prefixed:
            if name.lower() in HOP_BY_HOP | {"content-type", "content-encoding"}:
                continue
            kept.append((name, value))
        # pywb passes these through unprefixed; the Wayback Machine prefixes them
        kept += [(k, v) for k, v in answer.headers if k.lower() in PASSED_THROUGH]
    else:
        for name, value in answer.headers:
            if name.lower() in HOP_BY_HOP | MEMENTO | {"content-type", "content-encoding"}:
                continue
            kept.append((name, value))
    for name in ("Content-Type", "Content-Encoding"):
        if name.lower() in own:
            kept.append((name, own[name.lower()]))
    kept.append(("Content-Length", str(len(answer.body))))
    try:
        reason = HTTPStatus(answer.status).phrase
    except ValueError:
        reason = ""
    return HttpResponseData(
        status=answer.status,
        reason=reason,
        protocol="HTTP/1.1",
        headers=[(k.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in kept],
        body=answer.body,
    )


def metadata(fetched: Fetched) -> dict[str, str]:
    """The fields of the metadata record beside a copied capture."""
    candidate = fetched.candidate
    archive = candidate.archive
    fields = {
        VIA_FIELD: archive.name,
        "archive-kind": archive.kind,
        "archive-index": archive.cdx,
        "archive-url": fetched.asked,
        "archive-timestamp": candidate.timestamp,
        "archive-digest": candidate.digest,
        "fetched-at": fetched.fetched_at.isoformat().replace("+00:00", "Z"),
    }
    if archive.kind == "commoncrawl":
        fields["archive-filename"] = candidate.filename
        fields["archive-range"] = (
            f"bytes={candidate.offset}-{candidate.offset + candidate.length - 1}"
        )
    return fields


# -- the run -------------------------------------------------------------------------------------


class Backfill:
    """Backfills a story from its archives into one database and WARC directory."""

    def __init__(
        self,
        repo: Repository,
        story: Story,
        *,
        warc_dir: Path,
        options: ExtractOptions | None = None,
        user_agent: str,
        warc_prefix: str = "newsarchive",
        warc_max_size: int = 1024 * 1024 * 1024,
        warc_gzip: bool = True,
        warc_gzip_level: int = GZIP_LEVEL,
        batch_size: int = 50,
        progress_interval: float = 5.0,
        err: TextIO | None = None,
        stop: Callable[[], bool] = lambda: False,
        data_dir: str | None = None,
    ) -> None:
        self.repo = repo
        self.data_dir = data_dir
        """The id of the data directory the WARC files are written in: they are registered as
        its own, settled (an interrupted backfill is resumed by running it again, as ingest)."""
        self.story = story
        self.warc_dir = warc_dir
        self.options = options or ExtractOptions()
        self.user_agent = user_agent
        self.warc_prefix = warc_prefix
        self.warc_max_size = warc_max_size
        self.warc_gzip = warc_gzip
        self.warc_gzip_level = warc_gzip_level
        self.batch_size = max(1, batch_size)
        self.progress_interval = progress_interval
        self.err = err
        self.stop = stop
        self.report = Report()
        self._lock = threading.Lock()
        self.clients = [
            ArchiveClient(a, self.report.stats, user_agent=user_agent, lock=self._lock)
            for a in story.archives
        ]

    def check(self) -> None:
        """Every archive reachable, its index allowed (`BackfillError` otherwise)."""
        for client in self.clients:
            client.check()

    def listed(self) -> list[Candidate]:
        """Every archive's candidates, in capture-time order, collapsed by (URL, digest) across
        archives (the earliest kept) and without those already stored."""
        found: list[Candidate] = []
        for client in self.clients:
            try:
                found += candidates(client, self.story)
            except (OSError, ValueError) as exc:
                raise BackfillError(f"archive {client.archive.name!r}: its index: {exc}") from exc
        found.sort(key=lambda c: (c.timestamp, c.archive.name, c.url))
        seen: set[tuple[str, str]] = set()
        unique: list[tuple[str, Candidate]] = []
        for candidate in found:
            try:
                key = (normalise_url(candidate.url), candidate.digest)
            except ValueError:
                self._count(candidate, "cdx/bad_rows")
                continue
            if key in seen:
                self._count(candidate, "cdx/duplicates")
                continue
            seen.add(key)
            unique.append((key[0], candidate))
        stored = queries.stored_digests(self.repo.engine, (url for url, _ in unique))
        out = []
        for url, candidate in unique:
            if (url, candidate.digest) in stored:
                self._count(candidate, "cdx/already_stored")
            else:
                out.append(candidate)
        return out

    def run(self) -> Report:
        self.check()
        todo = self.listed()
        story_id = self.repo.ensure_story(self.story)
        door = ArchiveDoor(self.options, self.story, discovered_via=DISCOVERED_VIA)
        clients = {c.archive.name: c for c in self.clients}
        workers = max(1, sum(a.concurrency for a in self.story.archives))
        started = last_shown = time.monotonic()
        done = 0
        batch: list[Entry] = []
        if not todo:
            return self.report
        writer = WarcWriter(
            self.warc_dir,
            prefix=self.warc_prefix,
            max_size=self.warc_max_size,
            gzip=self.warc_gzip,
            gzip_level=self.warc_gzip_level,
            warcinfo={"isPartOf": self.story.name, "description": "newsarchive backfill"},
        )
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="backfill") as pool:
                results = pool.map(
                    lambda c: None if self.stop() else fetch(clients[c.archive.name], c), todo
                )
                for candidate, result in zip(todo, results, strict=True):
                    done += 1
                    if result is None:
                        continue
                    if isinstance(result, str):
                        self._count(candidate, "failed")
                        logger.warning("%s %s: %s", candidate.url, candidate.timestamp, result)
                    else:
                        entry = self._written(writer, result)
                        if entry is not None:
                            batch.append(entry)
                    if len(batch) >= self.batch_size:
                        self._store(door, batch, story_id)
                        batch = []
                    now = time.monotonic()
                    if self.progress_interval and now - last_shown >= self.progress_interval:
                        last_shown = now
                        self._progress(done, len(todo), now - started)
            self._store(door, batch, story_id)
        finally:
            writer.close()
        if self.progress_interval:
            self._progress(done, len(todo), time.monotonic() - started)
        return self.report

    def _count(self, candidate: Candidate, key: str, n: int = 1) -> None:
        with self._lock:
            self.report.stats[f"{candidate.archive.name}/{key}"] += n

    def _written(self, writer: WarcWriter, fetched: Fetched) -> Entry | None:
        candidate = fetched.candidate
        try:
            if candidate.archive.kind == "wayback":
                response = original_response(fetched.answer)
                if compute_payload_digest(response.body) != candidate.digest:
                    self._count(candidate, "digest_differs")
                copied: Copied = writer.write_archived(
                    response,
                    target_uri=candidate.url,
                    captured_at=candidate.captured_at,
                    metadata=metadata(fetched),
                    fetched_at=fetched.fetched_at,
                )
            else:
                copied = writer.write_copied(
                    fetched.answer.body, metadata=metadata(fetched), fetched_at=fetched.fetched_at
                )
            archived = Archived(
                copied.record,
                copied.filename,
                copied.offset,
                copied.length,
                via=candidate.archive.name,
            )
            entry = Entry(archived, capture_of(archived))
        except (ValueError, NotACapture) as exc:
            self._count(candidate, "failed")
            logger.warning("%s %s: cannot be archived: %s", candidate.url, candidate.timestamp, exc)
            return None
        self._count(candidate, "fetched")
        return entry

    def _store(self, door: ArchiveDoor, entries: list[Entry], story_id: int) -> None:
        if not entries:
            return
        entries = sorted(entries, key=lambda e: e.capture.fetched_at)
        rows = door.rows(entries)
        via = {e.capture.warc_record_id: e.capture.via or "" for e in entries}
        for processed, page in zip(rows.processed, rows.pages, strict=True):
            name = via.get(page.warc_record_id or "", "")
            if processed.extraction is not None and processed.extraction.article is not None:
                self.report.stats[f"{name}/articles"] += 1
                if processed.relevance and processed.relevance.relevant:
                    self.report.stats[f"{name}/relevant"] += 1
        self.repo.ensure_publishers(rows.publishers)
        if self.data_dir is not None:
            settle(self.repo.engine, self.data_dir, {e.capture.warc_filename for e in entries})
        result = self.repo.write_batch(
            rows.captures,
            rows.pages,
            story_id,
            revisits=rows.revisits,
            policy=self.story.revisit,
            decide=story_decider(self.story),
        )
        for name, n in Counter(e.capture.via or "" for e in entries).items():
            self.report.stats[f"{name}/captures"] += n
        for page in rows.pages:
            self.report.stats[f"{via.get(page.warc_record_id or '', '')}/pages"] += 1
        self.report.stats[NEW_VERSIONS] += result.new_versions

    def _progress(self, done: int, total: int, seconds: float) -> None:
        if self.err is None:
            return
        self.err.write(
            f"backfill: {done} of {total} captures ({done / total:.0%}), "
            f"{self.report.fetched} fetched, {self.report.failed} failed, {seconds:.0f} s\n"
        )
        self.err.flush()
