"""The read side of the database: the status report and the crawl runs' URL outcomes, the
streamed article export, the version history of one article, and the syndication clusters.

Each only reads, in one transaction, so they can run while a crawl writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    distinct,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from crawler.core.clusters import Cluster, ClusterMember
from crawler.core.outcomes import OUTCOMES
from crawler.core.urls import normalise_url
from storage.db import models as m
from storage.db.bulk import chunks
from storage.db.urls import url_hash
from storage.db.versions import ranked_versions
from storage.warc import OPEN_SUFFIX, resolve_warc_path

ExportRow = dict[str, Any]

STREAM_ROWS = 500
"""Rows fetched at a time when streaming an export."""


class UnknownStory(LookupError):
    """No story of that name; the message lists the names there are."""

    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        self.name = name
        self.known = tuple(known)
        if self.known:
            there = "; stories: " + ", ".join(self.known)
        else:
            there = "; there are no stories yet (a crawl records its story)"
        super().__init__(f"no story named {name!r} in the database{there}")


def unknown_story(conn: Connection, name: str) -> UnknownStory:
    """The `UnknownStory` for `name`, naming the stories in the database."""
    return UnknownStory(
        name, conn.execute(select(m.Story.name).order_by(m.Story.name)).scalars().all()
    )


class UnknownPublisher(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no publisher named {name!r} or at host {name!r} in the database")


class UnknownRun(LookupError):
    def __init__(self, run_id: int, story: str | None = None) -> None:
        self.run_id = run_id
        of = f" of story {story!r}" if story is not None else ""
        super().__init__(f"no crawl run {run_id}{of} in the database")


class UnknownUrl(LookupError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"no URL {url} in the database")


@dataclass(frozen=True, slots=True)
class Counts:
    captures: int = 0
    articles: int = 0
    """Article URLs with at least one version (in the story, if one was asked for)."""
    relevant: int = 0
    warc_files: int = 0
    """A publisher's: the WARC files that hold at least one of its captures; the total's: the
    files that hold any."""
    warc_bytes: int = 0
    """A publisher's: the bytes of its captures' records in the WARC files (as stored, gzipped);
    the total's: the size on disk of all the files (request records and file headers too)."""
    warc_missing: int = 0
    """WARC files named by captures but absent from the WARC directory."""


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """Captures in the database whose WARC files belong to other data directories (a database
    shared by several, docs/archive.md): left out of a data directory's counts."""

    captures: int = 0
    warc_files: int = 0


@dataclass(frozen=True, slots=True)
class PublisherStatus:
    publisher: str
    host: str | None
    """None for the row of URLs that belong to no known publisher (off-site redirects)."""
    counts: Counts


@dataclass(frozen=True, slots=True)
class StatusReport:
    story: str | None
    publishers: tuple[PublisherStatus, ...]
    total: Counts
    missing_warc_files: tuple[str, ...]
    elsewhere: Elsewhere = Elsewhere()
    """Captures left out because their files are other data directories'."""


def status(
    engine: Engine,
    story: str | None = None,
    *,
    warc_dir: Path,
    foreign: Callable[[str, bool], bool] | None = None,
) -> StatusReport:
    """Counts per publisher and in total, in one read transaction.

    With `story`, exactly the story's publishers (its sources) are listed, found anything or not,
    and articles and relevant counts are the story's; captures and WARC files belong to no story
    and are the publisher's. A publisher's WARC bytes are its records' lengths; the total's are
    the files' sizes, read from `warc_dir` (a file still being written, `NAME.open`, counts as
    present).

    `foreign(name, present)` tells whether the WARC file `name` (found on disk or not) belongs
    to another data directory sharing the database: its captures are then left out of the
    captures, WARC files and sizes, and of the missing files, and counted in `elsewhere`.
    """
    with engine.connect() as conn:
        story_id = find_story_id(conn, story) if story is not None else None
        per_file = conn.execute(
            select(
                m.Url.publisher_id,
                m.Capture.warc_filename,
                func.count(m.Capture.id),
                func.sum(m.Capture.warc_length),
            )
            .join(m.Url, m.Url.id == m.Capture.url_id)
            .group_by(m.Url.publisher_id, m.Capture.warc_filename)
        ).all()
        version, link = m.ArticleVersion, m.StoryArticle
        articles_query = select(m.Url.publisher_id, func.count(distinct(version.url_id))).join(
            m.Url, m.Url.id == version.url_id
        )
        relevant_query = (
            select(m.Url.publisher_id, func.count(distinct(link.url_id)))
            .join(m.Url, m.Url.id == link.url_id)
            .where(link.relevant.is_(True))
        )
        publishers_query = select(m.Publisher.id, m.Publisher.name, m.Publisher.host).order_by(
            m.Publisher.name, m.Publisher.host
        )
        if story_id is not None:
            articles_query = articles_query.join(
                link, and_(link.url_id == version.url_id, link.story_id == story_id)
            )
            relevant_query = relevant_query.where(link.story_id == story_id)
            publishers_query = publishers_query.join(
                m.StorySource,
                and_(
                    m.StorySource.publisher_id == m.Publisher.id,
                    m.StorySource.story_id == story_id,
                ),
            )
        articles = _by_publisher(conn.execute(articles_query.group_by(m.Url.publisher_id)))
        relevant = _by_publisher(conn.execute(relevant_query.group_by(m.Url.publisher_id)))
        publishers: list[tuple[int | None, str, str | None]] = [
            (id_, name, host) for id_, name, host in conn.execute(publishers_query)
        ]
    sizes: dict[str, int | None] = {}
    for _, name, _, _ in per_file:
        if name not in sizes:
            sizes[name] = _file_size(warc_dir, name)
    others = {
        name
        for name, size in sizes.items()
        if foreign is not None and foreign(name, size is not None)
    }
    captures: dict[int | None, int] = defaultdict(int)
    record_bytes: dict[int | None, int] = defaultdict(int)
    files: dict[int | None, set[str]] = defaultdict(set)
    elsewhere = 0
    for publisher_id, name, count, length in per_file:
        if name in others:
            elsewhere += count
            continue
        captures[publisher_id] += count
        record_bytes[publisher_id] += int(length or 0)
        files[publisher_id].add(name)
    if story_id is None and (captures.get(None) or articles.get(None)):
        publishers.append((None, "(no publisher)", None))

    rows: list[PublisherStatus] = []
    shown_files: set[str] = set()
    for id_, name, host in publishers:
        held = files.get(id_, set())
        shown_files |= held
        rows.append(
            PublisherStatus(
                publisher=name,
                host=host,
                counts=Counts(
                    captures=captures.get(id_, 0),
                    articles=articles.get(id_, 0),
                    relevant=relevant.get(id_, 0),
                    warc_files=len(held),
                    warc_bytes=int(record_bytes.get(id_) or 0),
                    warc_missing=sum(sizes[f] is None for f in held),
                ),
            )
        )
    missing = tuple(sorted(f for f in shown_files if sizes[f] is None))
    total = Counts(
        captures=sum(r.counts.captures for r in rows),
        articles=sum(r.counts.articles for r in rows),
        relevant=sum(r.counts.relevant for r in rows),
        warc_files=len(shown_files),
        warc_bytes=sum(sizes[f] or 0 for f in shown_files),
        warc_missing=len(missing),
    )
    return StatusReport(story, tuple(rows), total, missing, Elsewhere(elsewhere, len(others)))


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    started_at: datetime
    finished_at: datetime | None
    finish_reason: str | None
    """None while the crawl runs, or when it died without closing."""


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    outcome: str
    reason: str
    urls: int


@dataclass(frozen=True, slots=True)
class StoryOutcomes:
    """What became of the URLs of one story's crawl run, or of all its runs."""

    story: str
    run: RunInfo | None
    """The run counted; None when the counts are of all `runs` runs."""
    runs: int
    counts: tuple[OutcomeCount, ...]
    """By outcome (stored, archived, redirected, skipped, failed), then most URLs first."""

    @property
    def total(self) -> int:
        return sum(c.urls for c in self.counts)


def outcomes(
    engine: Engine, story: str | None = None, *, run_id: int | None = None, all_runs: bool = False
) -> list[StoryOutcomes]:
    """URL outcomes by outcome and reason, per story (or of `story`): of its latest crawl run,
    of run `run_id` alone, or with `all_runs` of all its runs together (a URL counts once per
    run that met it). Stories without runs are left out; an unknown `story` raises
    `UnknownStory`, an unknown `run_id` (or one of another story) `UnknownRun`."""
    run, outcome = m.CrawlRun, m.UrlOutcome
    with engine.connect() as conn:
        story_id = find_story_id(conn, story) if story is not None else None
        runs_query = select(
            run.id, run.story_id, run.started_at, run.finished_at, run.finish_reason
        )
        if story_id is not None:
            runs_query = runs_query.where(run.story_id == story_id)
        if run_id is not None:
            runs_query = runs_query.where(run.id == run_id)
        runs: dict[int, list[RunInfo]] = defaultdict(list)
        for id_, of_story, started, finished, reason in conn.execute(runs_query.order_by(run.id)):
            runs[of_story].append(RunInfo(id_, started, finished, reason))
        if run_id is not None and not runs:
            raise UnknownRun(run_id, story)
        counted = {
            of_story: [r.id for r in story_runs] if all_runs else [story_runs[-1].id]
            for of_story, story_runs in runs.items()
        }
        wanted = sorted(id_ for ids in counted.values() for id_ in ids)
        by_run: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
        for chunk in chunks(wanted):
            for id_, kind, reason, count in conn.execute(
                select(outcome.run_id, outcome.outcome, outcome.reason, func.count())
                .where(outcome.run_id.in_(chunk))
                .group_by(outcome.run_id, outcome.outcome, outcome.reason)
            ):
                by_run[id_].append((kind, reason, count))
        names = {
            id_: name
            for id_, name in conn.execute(
                select(m.Story.id, m.Story.name).where(m.Story.id.in_(sorted(runs)))
            )
        }
    order: dict[str, int] = {name: i for i, name in enumerate(OUTCOMES)}
    reports = []
    for of_story, ids in counted.items():
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for id_ in ids:
            for kind, reason, count in by_run[id_]:
                totals[kind, reason] += count
        counts = sorted(
            (OutcomeCount(kind, reason, n) for (kind, reason), n in totals.items()),
            key=lambda c: (order.get(c.outcome, len(order)), c.outcome, -c.urls, c.reason),
        )
        reports.append(
            StoryOutcomes(
                story=names[of_story],
                run=None if all_runs else runs[of_story][-1],
                runs=len(ids),
                counts=tuple(counts),
            )
        )
    return sorted(reports, key=lambda r: r.story)


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version of an article, with the capture it was extracted from."""

    number: int
    title: str | None
    text: str
    text_sha256: str
    first_seen: datetime
    last_seen: datetime
    published: date | None
    modified: date | None
    captured_at: datetime | None
    """None, like the other capture fields, when the version has no capture (WARC was off)."""
    extractor: str
    warc_filename: str | None
    warc_offset: int | None
    warc_record_id: str | None
    via: str | None = None
    """The web archive its capture was copied from (`newsarchive backfill`), None for ours."""
    change_kinds: list[str] | None = None
    """How it differs from the version before (`crawler.core.versioning.KINDS`); None for a
    first version."""
    stealth: bool | None = None


@dataclass(frozen=True, slots=True)
class ArticleHistory:
    url: str
    """The URL the article is filed under: the one asked for, or the URL it is an alias of."""
    versions: list[VersionRow]
    """In the order they were first seen (then by number: re-extraction can add a version for old
    captures); empty for a URL that is stored but is not an article."""
    deleted_at: datetime | None
    """When a revisit found the article gone (404 or 410)."""
    current: int | None = None
    """The number of the current version: the text of the article's most recent capture (see
    `storage.db.versions.ranked_versions`)."""

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


def versions(engine: Engine, url: str) -> ArticleHistory:
    """Every version of the article at `url`, its URL or any alias. A URL not in the database
    raises `UnknownUrl`."""
    normalised = normalise_url(url)
    asked, article = aliased(m.Url, name="asked"), aliased(m.Url, name="article")
    version, capture = m.ArticleVersion, m.Capture
    with engine.connect() as conn:
        found = conn.execute(
            select(article.id, article.url, m.ArticleSchedule.gone_at)
            .select_from(asked)
            .join(article, article.id == func.coalesce(asked.canonical_id, asked.id))
            .outerjoin(m.ArticleSchedule, m.ArticleSchedule.url_id == article.id)
            .where(asked.url_hash == url_hash(normalised))
        ).one_or_none()
        if found is None:
            raise UnknownUrl(normalised)
        article_id, article_url, deleted_at = found
        rows = conn.execute(
            select(
                version.version.label("number"),
                version.title,
                version.text,
                version.text_sha256,
                version.first_seen,
                version.last_seen,
                version.published,
                version.modified,
                capture.fetched_at.label("captured_at"),
                version.extractor,
                capture.warc_filename,
                capture.warc_offset,
                capture.warc_record_id,
                capture.via,
                version.change_kinds,
                version.stealth,
            )
            .outerjoin(capture, capture.id == version.capture_id)
            .where(version.url_id == article_id)
            .order_by(version.first_seen, version.version)
        )
        history = [VersionRow(**row._asdict()) for row in rows]
        earliest = _earliest_vias(conn, article_id)
        history = [
            replace(row, via=earliest[row.number]) if row.number in earliest else row
            for row in history
        ]
        ranked = ranked_versions(version.url_id == article_id)
        current = conn.execute(
            select(ranked.c.number).where(ranked.c.rank == 1)
        ).scalar_one_or_none()
    return ArticleHistory(article_url, history, deleted_at, current)


def _earliest_vias(conn: Connection, article_id: int) -> dict[int, str | None]:
    """{version number: `via` of the earliest capture extracted to it}: a text that a web
    archive held before our crawl saw it came from that archive."""
    version, extraction, capture = m.ArticleVersion, m.Extraction, m.Capture
    rows = conn.execute(
        select(version.version, capture.via, capture.fetched_at)
        .join(extraction, extraction.version_id == version.id)
        .join(capture, capture.id == extraction.capture_id)
        .where(version.url_id == article_id)
        .order_by(capture.fetched_at.desc())
    )
    return {number: via for number, via, _ in rows}  # the earliest is written last


class UnknownCapture(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class CaptureRow:
    """One capture of an article (of its URL or any URL filed under it), and what it made."""

    captured_at: datetime
    url: str
    status: int
    record_type: str
    access: str | None
    """'open', or the wall it showed; None when no extraction recorded one."""
    access_reason: str | None
    noarchive: bool
    rights: str | None
    version: int | None
    """The version its text is (made or seen again); None when it made none."""
    why: str | None
    """Why it made no version: the extraction's reason ('walled: paywall', 'too-short: …'),
    'revisit: same payload', 'HTTP 404', 'not extracted'."""
    warc_filename: str
    warc_offset: int
    warc_record_id: str


def captures(engine: Engine, url: str) -> tuple[str, list[CaptureRow]]:
    """Every capture of the article at `url` (its URL, or any URL filed under it), oldest first,
    with its access and rights and the version it made or why none. A URL not in the database
    raises `UnknownUrl`."""
    normalised = normalise_url(url)
    asked, article, any_url = aliased(m.Url), aliased(m.Url), aliased(m.Url)
    capture, extraction, version = m.Capture, m.Extraction, m.ArticleVersion
    with engine.connect() as conn:
        found = conn.execute(
            select(article.id, article.url)
            .select_from(asked)
            .join(article, article.id == func.coalesce(asked.canonical_id, asked.id))
            .where(asked.url_hash == url_hash(normalised))
        ).one_or_none()
        if found is None:
            raise UnknownUrl(normalised)
        article_id, article_url = found
        latest = (
            select(
                extraction.capture_id,
                extraction.version_id,
                extraction.reason,
                extraction.access,
                extraction.access_reason,
                func.row_number()
                .over(
                    partition_by=extraction.capture_id,
                    order_by=(extraction.extracted_at.desc(), extraction.id.desc()),
                )
                .label("rank"),
            )
            .join(capture, capture.id == extraction.capture_id)
            .join(any_url, any_url.id == capture.url_id)
            .where(or_(any_url.id == article_id, any_url.canonical_id == article_id))
            .subquery()
        )
        filed = aliased(m.Url)
        rows = conn.execute(
            select(
                capture.fetched_at,
                filed.url,
                capture.status,
                capture.record_type,
                latest.c.access,
                latest.c.access_reason,
                capture.noarchive,
                capture.rights,
                version.version,
                latest.c.reason,
                capture.warc_filename,
                capture.warc_offset,
                capture.warc_record_id,
                latest.c.capture_id.label("extracted"),
            )
            .join(filed, filed.id == capture.url_id)
            .outerjoin(latest, and_(latest.c.capture_id == capture.id, latest.c.rank == 1))
            .outerjoin(version, version.id == latest.c.version_id)
            .where(or_(filed.id == article_id, filed.canonical_id == article_id))
            .order_by(capture.fetched_at, capture.id)
        ).all()
    found_rows = []
    for row in rows:
        why = None
        if row.version is None:
            if row.reason:
                why = row.reason
            elif row.record_type == "revisit":
                why = "revisit: the same payload again"
            elif row.extracted is None:
                why = f"HTTP {row.status}" if not 200 <= row.status < 300 else "not extracted"
        found_rows.append(
            CaptureRow(
                row.fetched_at,
                row.url,
                row.status,
                row.record_type,
                row.access,
                row.access_reason,
                bool(row.noarchive),
                row.rights,
                row.version,
                why,
                row.warc_filename,
                row.warc_offset,
                row.warc_record_id,
            )
        )
    return article_url, found_rows


@dataclass(frozen=True, slots=True)
class ExtractionRow:
    """One extraction of a capture: the text it gave (that of a version), or why none."""

    extractor: str
    options_digest: str
    extracted_at: datetime
    version: int | None
    """The number of the version holding the text; None when the page was no article."""
    title: str | None
    text: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class CaptureExtractions:
    url: str
    """The article's URL."""
    capture_id: int
    warc_record_id: str
    fetched_at: datetime
    extractions: list[ExtractionRow]
    """Most recent first."""


def capture_extractions(engine: Engine, url: str, capture: str | None = None) -> CaptureExtractions:
    """The extractions of one capture of the article at `url`: `capture` (a capture id or a
    WARC-Record-ID), by default the article's most recent capture that gave it a text.

    Raises `UnknownUrl` for a URL not in the database, `UnknownCapture` when there is no such
    capture, or no capture of the article with an extraction.
    """
    history = versions(engine, url)
    version, extraction, cap, article = m.ArticleVersion, m.Extraction, m.Capture, m.Url
    with engine.connect() as conn:
        article_id = conn.execute(
            select(article.id).where(article.url_hash == url_hash(history.url))
        ).scalar_one()
        if capture is None:
            found = conn.execute(
                select(cap.id, cap.warc_record_id, cap.fetched_at)
                .join(extraction, extraction.capture_id == cap.id)
                .join(version, version.id == extraction.version_id)
                .where(version.url_id == article_id)
                .order_by(cap.fetched_at.desc(), cap.id.desc())
                .limit(1)
            ).one_or_none()
            if found is None:
                raise UnknownCapture(f"{history.url} has no capture with a recorded extraction")
        else:
            record_id = capture if capture.startswith("<") else f"<{capture}>"
            chosen = cap.warc_record_id == record_id
            if capture.isdigit():
                chosen = or_(chosen, cap.id == int(capture))
            found = conn.execute(
                select(cap.id, cap.warc_record_id, cap.fetched_at).where(chosen)
            ).first()
            if found is None:
                raise UnknownCapture(f"no capture {capture} in the database")
        capture_id, record_id, fetched_at = found
        rows = conn.execute(
            select(
                extraction.extractor,
                extraction.options_digest,
                extraction.extracted_at,
                version.version,
                version.title,
                version.text,
                extraction.reason,
            )
            .outerjoin(version, version.id == extraction.version_id)
            .where(extraction.capture_id == capture_id)
            .order_by(extraction.extracted_at.desc(), extraction.id.desc())
        )
        made = [ExtractionRow(*row) for row in rows]
    return CaptureExtractions(history.url, capture_id, record_id, fetched_at, made)


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles an export holds (docs/export.md#filters)."""

    story: str | None = None
    """Only articles linked to this story (an unknown name raises `UnknownStory`)."""
    publishers: tuple[str, ...] = ()
    """Only articles of these publishers, each named by host:port or by name (one that matches
    no publisher raises `UnknownPublisher`)."""
    since: date | None = None
    until: date | None = None
    """Inclusive bounds on the publication date, or for an undated article on the UTC day it was
    first captured."""
    relevant_only: bool = False
    include_noarchive: bool = False
    """Also versions whose capture asked not to be archived and was flagged (`captures.noarchive`,
    the story's `[archive] noarchive = "flag"`): left out by default."""


def article_rows(
    engine: Engine, filters: ArticleFilter = ArticleFilter(), *, all_versions: bool = False
) -> Iterator[ExportRow]:
    """The current version of each article (with `all_versions`, every version, by number)
    with its capture, whether it was deleted, its story judgement and its syndication cluster,
    streamed from a server-side cursor. Values keep their Python types (dates, aware UTC
    datetimes, lists).

    An article linked to several stories comes once per story; without a story filter and
    `relevant_only`, articles linked to no story come once with the story fields None. The
    cluster fields are None for an article not clustered yet. An unknown story or publisher
    raises here, before anything is streamed.
    """
    version, link, capture, sig = m.ArticleVersion, m.StoryArticle, m.Capture, m.ArticleSignature
    sizes = select(sig.cluster_id, func.count().label("size")).group_by(sig.cluster_id).subquery()
    stmt = (
        select(
            m.Url.url,
            m.Publisher.name.label("publisher"),
            version.title,
            version.authors,
            version.published,
            version.published_time,
            version.modified,
            version.modified_time,
            version.language,
            version.language_source,
            version.site_name,
            version.text,
            version.word_count,
            version.version,
            version.text_sha256,
            version.extractor,
            version.first_seen,
            version.last_seen,
            version.change_kinds,
            version.stealth,
            m.ArticleSchedule.gone_at.label("deleted_at"),
            capture.fetched_at.label("captured_at"),
            capture.warc_filename,
            capture.warc_offset,
            capture.warc_record_id,
            m.Story.name.label("story"),
            link.relevant,
            link.relevance_score,
            link.matched_terms,
            link.reason.label("relevance_reason"),
            sig.cluster_id,
            sig.is_original,
            sizes.c.size.label("cluster_size"),
        )
        .select_from(version)
        .join(m.Url, m.Url.id == version.url_id)
        .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
        .outerjoin(capture, capture.id == version.capture_id)
        .outerjoin(m.ArticleSchedule, m.ArticleSchedule.url_id == version.url_id)
        .outerjoin(sig, sig.url_id == version.url_id)
        .outerjoin(sizes, sizes.c.cluster_id == sig.cluster_id)
        .order_by(version.url_id, m.Story.name, version.version)
    )
    if not all_versions:
        ranked = ranked_versions()
        stmt = stmt.join(ranked, and_(ranked.c.version_id == version.id, ranked.c.rank == 1))
    story_id = None
    with engine.connect() as conn:
        if filters.story is not None:
            story_id = find_story_id(conn, filters.story)
        if filters.publishers:
            stmt = stmt.where(m.Url.publisher_id.in_(find_publisher_ids(conn, filters.publishers)))
    link_on = link.url_id == version.url_id
    if story_id is not None:
        link_on = and_(link_on, link.story_id == story_id)
    if story_id is not None or filters.relevant_only:
        stmt = stmt.join(link, link_on)
    else:
        stmt = stmt.outerjoin(link, link_on)
    stmt = stmt.outerjoin(m.Story, m.Story.id == link.story_id)
    if filters.relevant_only:
        stmt = stmt.where(link.relevant.is_(True))
    if not filters.include_noarchive:
        stmt = stmt.where(or_(capture.noarchive.is_(None), capture.noarchive.is_(False)))
    return _stream(engine, stmt.where(*date_window(filters)))


def date_window(filters: ArticleFilter) -> list[ColumnElement[bool]]:
    """The conditions of `since` and `until` on `article_versions` joined (outer) with
    `article_schedule`: the version's publication date, or for an undated one the day the
    article was first captured."""
    version, first_captured = m.ArticleVersion, m.ArticleSchedule.first_seen
    conditions: list[ColumnElement[bool]] = []
    if filters.since is not None:
        start = datetime.combine(filters.since, time(), UTC)
        conditions.append(
            or_(
                version.published >= filters.since,
                and_(version.published.is_(None), first_captured >= start),
            )
        )
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        conditions.append(
            or_(
                version.published <= filters.until,
                and_(version.published.is_(None), first_captured < end),
            )
        )
    return conditions


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """Where a stored capture's record lies (`warc_filename` as `resolve_warc_path` takes it)."""

    record_id: str
    warc_filename: str
    warc_offset: int


def publisher_hosts(engine: Engine) -> list[str]:
    """The host:port of every publisher in the database."""
    with engine.connect() as conn:
        return list(conn.execute(select(m.Publisher.host)).scalars())


def stored_record_ids(engine: Engine, record_ids: Iterable[str]) -> set[str]:
    """Those of `record_ids` that a capture in the database already has."""
    wanted = sorted(set(record_ids))
    with engine.connect() as conn:
        return {
            record_id
            for chunk in chunks(wanted)
            for record_id in conn.scalars(
                select(m.Capture.warc_record_id).where(m.Capture.warc_record_id.in_(chunk))
            )
        }


def stored_digests(engine: Engine, urls: Iterable[str]) -> set[tuple[str, str]]:
    """(normalised URL, payload digest) of every stored capture of `urls` (normalised URLs) that
    holds or stands for a body: what `newsarchive backfill` need not copy again."""
    by_hash = {url_hash(url): url for url in set(urls)}
    with engine.connect() as conn:
        return {
            (by_hash[hashed], digest)
            for chunk in chunks(sorted(by_hash))
            for hashed, digest in conn.execute(
                select(m.Url.url_hash, m.Capture.payload_digest)
                .join(m.Capture, m.Capture.url_id == m.Url.id)
                .where(m.Url.url_hash.in_(chunk))
            )
            if digest
        }


def original_record(
    engine: Engine,
    *,
    record_id: str | None,
    url: str | None,
    fetched_at: datetime | None,
    payload_digest: str | None,
) -> StoredRecord | None:
    """The stored capture holding the body a revisit record stands for: the one with its
    WARC-Refers-To `record_id`, else the capture of `url` at `fetched_at` (its
    WARC-Refers-To-Target-URI and -Date), else the latest capture of `url` with that payload
    digest. Only captures of records that hold a body (response, resource) qualify."""
    c = m.Capture
    columns = select(c.warc_record_id, c.warc_filename, c.warc_offset).where(
        c.record_type.in_(("response", "resource"))
    )
    queries: list[Select[str, str, int]] = []
    if record_id:
        queries.append(columns.where(c.warc_record_id == record_id))
    if url:
        by_url = columns.join(m.Url, m.Url.id == c.url_id).where(
            m.Url.url_hash == url_hash(normalise_url(url))
        )
        if fetched_at is not None:
            queries.append(by_url.where(c.fetched_at == fetched_at))
        if payload_digest:
            queries.append(
                by_url.where(c.payload_digest == payload_digest).order_by(c.fetched_at.desc())
            )
    with engine.connect() as conn:
        for query in queries:
            row = conn.execute(query.limit(1)).first()
            if row is not None:
                return StoredRecord(row[0], row[1], row[2])
    return None


def iter_articles(
    engine: Engine,
    story: str | None = None,
    *,
    relevant_only: bool = False,
    all_versions: bool = False,
) -> Iterator[ExportRow]:
    """`article_rows` with dates and times as ISO 8601 strings (times in UTC), ready for JSON."""
    filters = ArticleFilter(story=story, relevant_only=relevant_only)
    rows = article_rows(engine, filters, all_versions=all_versions)  # raises before streaming
    return (
        {key: _iso(value) if isinstance(value, date) else value for key, value in row.items()}
        for row in rows
    )


def _stated(day: date | None, moment: str | None) -> str | None:
    """A stated date for export: the moment with its offset when there is one, else the day."""
    return moment or (day.isoformat() if day is not None else None)


def _precision(day: date | None, moment: str | None) -> str | None:
    return "time" if moment else ("date" if day is not None else None)


def _stream(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> Iterator[ExportRow]:
    # yield_per makes SQLAlchemy fetch in batches from a server-side cursor (stream_results), so
    # memory does not grow with the number of rows.
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=STREAM_ROWS).execute(stmt):
            yield {
                "url": row.url,
                "publisher": row.publisher,
                "title": row.title,
                "authors": row.authors,
                "published": _stated(row.published, row.published_time),
                "published_precision": _precision(row.published, row.published_time),
                "modified": _stated(row.modified, row.modified_time),
                "modified_precision": _precision(row.modified, row.modified_time),
                "language": row.language,
                "language_source": row.language_source,
                "site_name": row.site_name,
                "text": row.text,
                "word_count": row.word_count,
                "version": row.version,
                "text_sha256": row.text_sha256,
                "extractor": row.extractor,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
                "change_kinds": row.change_kinds,
                "stealth": row.stealth,
                "deleted": row.deleted_at is not None,
                "deleted_at": row.deleted_at,
                "captured_at": row.captured_at,
                "warc_filename": row.warc_filename,
                "warc_offset": row.warc_offset,
                "warc_record_id": row.warc_record_id,
                "story": row.story,
                "relevant": row.relevant,
                "relevance_score": row.relevance_score,
                "matched_terms": row.matched_terms,
                "relevance_reason": row.relevance_reason,
                "cluster_id": row.cluster_id,
                "is_original": row.is_original,
                "cluster_size": row.cluster_size,
            }


def find_publisher_ids(conn: Connection, names: Sequence[str]) -> list[int]:
    """Ids of the publishers named by host:port or by name."""
    found: list[int] = []
    for name in names:
        ids = conn.execute(
            select(m.Publisher.id).where(or_(m.Publisher.host == name, m.Publisher.name == name))
        ).scalars()
        matched = list(ids)
        if not matched:
            raise UnknownPublisher(name)
        found.extend(matched)
    return found


def find_story_id(conn: Connection, name: str) -> int:
    """The id of the story `name`; `UnknownStory` (naming those there are) when there is none."""
    found = conn.execute(select(m.Story.id).where(m.Story.name == name)).scalar_one_or_none()
    if found is None:
        raise unknown_story(conn, name)
    return found


def _by_publisher(rows: Iterable[Any]) -> dict[int | None, int]:
    return {publisher_id: count for publisher_id, count in rows}


def _file_size(warc_dir: Path, name: str) -> int | None:
    path = resolve_warc_path(warc_dir, name)
    for candidate in (path, path.with_name(f"{path.name}{OPEN_SUFFIX}")):
        try:
            return candidate.stat().st_size
        except FileNotFoundError:
            continue
    return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def clusters(
    engine: Engine, story: str | None = None, *, singletons: bool = False
) -> list[Cluster]:
    """The syndication clusters as last computed, largest first: with `story`, those holding at
    least one of the story's articles (with all their members); clusters of one only with
    `singletons`."""
    sig, version = m.ArticleSignature, m.ArticleVersion
    with engine.connect() as conn:
        chosen = select(sig.cluster_id).group_by(sig.cluster_id)
        if not singletons:
            chosen = chosen.having(func.count() > 1)
        if story is not None:
            story_id = find_story_id(conn, story)
            chosen = chosen.where(
                sig.cluster_id.in_(
                    select(sig.cluster_id)
                    .join(m.StoryArticle, m.StoryArticle.url_id == sig.url_id)
                    .where(m.StoryArticle.story_id == story_id)
                )
            )
        first = (
            select(version.url_id, func.min(version.first_seen).label("first_seen"))
            .group_by(version.url_id)
            .subquery()
        )
        rows = conn.execute(
            select(
                sig.cluster_id,
                m.Url.url,
                m.Publisher.name,
                version.title,
                version.published,
                first.c.first_seen,
                sig.is_original,
            )
            .join(m.Url, m.Url.id == sig.url_id)
            .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
            .join(version, version.id == sig.version_id)
            .join(first, first.c.url_id == sig.url_id)
            .where(sig.cluster_id.in_(chosen.scalar_subquery()))
        )
        grouped: dict[int, list[ClusterMember]] = defaultdict(list)
        for cluster_id, *member in rows:
            grouped[cluster_id].append(ClusterMember(*member))
    found = [
        Cluster(
            cluster_id,
            tuple(
                sorted(
                    members,
                    key=lambda c: (
                        not c.is_original,
                        c.published is None,
                        c.published or date.max,
                        c.first_captured,
                        c.url,
                    ),
                )
            ),
        )
        for cluster_id, members in grouped.items()
    ]
    return sorted(found, key=lambda c: (-len(c.members), c.cluster_id))


@dataclass(frozen=True, slots=True)
class EditRow:
    """One version after an article's first, and how it differs from the one before."""

    url: str
    publisher: str | None
    version: int
    first_seen: datetime
    title: str | None
    change_kinds: list[str]
    stealth: bool
    warc_record_id: str | None


def edits(engine: Engine, story: str, kind: str | None = None) -> list[EditRow]:
    """The edits of the articles of a story's publishers (and of those linked to the story),
    newest first: every version with edit kinds; only those of `kind` when given. An unknown
    story raises `UnknownStory`."""
    version, url, capture = m.ArticleVersion, m.Url, m.Capture
    with engine.connect() as conn:
        story_id = find_story_id(conn, story)
        publishers = select(m.StorySource.publisher_id).where(m.StorySource.story_id == story_id)
        linked = select(m.StoryArticle.url_id).where(m.StoryArticle.story_id == story_id)
        rows = conn.execute(
            select(
                url.url,
                m.Publisher.name,
                version.version,
                version.first_seen,
                version.title,
                version.change_kinds,
                version.stealth,
                capture.warc_record_id,
            )
            .join(url, url.id == version.url_id)
            .outerjoin(m.Publisher, m.Publisher.id == url.publisher_id)
            .outerjoin(capture, capture.id == version.capture_id)
            .where(
                version.change_kinds.is_not(None),
                or_(url.publisher_id.in_(publishers), url.id.in_(linked)),
            )
            .order_by(version.first_seen.desc(), url.url, version.version.desc())
        ).all()
    found = [
        EditRow(u, p, n, seen, title, list(kinds or ()), bool(stealth), record)
        for u, p, n, seen, title, kinds, stealth, record in rows
        if kinds
    ]
    return [row for row in found if kind is None or kind in row.change_kinds]
