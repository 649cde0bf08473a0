"""Article versions, extractions and story links within a batch write.

A page adds a version only when its text differs from the article's current one (the version of
its most recent capture), so the versions of a whole batch are worked out in memory against one
read of the current stored versions. What each page did (new version or same text) is handed on
to the revisit schedule, and which version (or reason) each capture gave is recorded in
`extractions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)

from crawler.core.access import AccessCheck
from crawler.core.article import Article, Extraction, Relevance
from crawler.core.urls import normalise_url
from crawler.core.versioning import Decide, Edit, Judgement, Version
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.models import utcnow
from storage.db.records import PageRecord
from storage.db.schedule import Fetch

Judged = dict[int, tuple[Relevance, int]]
"""{article url id: (relevance, id of the version judged)}."""


@dataclass(frozen=True, slots=True)
class ExtractorKey:
    """An extractor and the digest of its options: what one extraction of a capture is made by."""

    extractor: str
    options_digest: str


@dataclass(frozen=True, slots=True)
class _Version:
    """The current version of an article while a batch is being written."""

    number: int
    text_sha256: str
    id: int | None
    """None while the version is only a row waiting to be inserted."""
    version: Version | None = None
    """Its title, text and authors: what the next capture is compared with."""


@dataclass(frozen=True, slots=True)
class VersionsWritten:
    new: int
    unchanged: int
    """Article pages whose text equals the current version."""
    judged: Judged
    fetches: list[Fetch]
    """What each article page did, for the revisit schedule."""
    walled: int = 0
    """Pages that showed a wall: no version."""


def by_text(
    previous: Version | None, new: Version | None, access: AccessCheck, description: str | None
) -> Judgement:
    """The judgement of a batch written without a story's rules (`decide` None, as tests do): a
    wall is no version, any other new text is one; no kinds. The crawl, ingest, recovery and
    re-extraction pass `crawler.services.versions.decider`."""
    if access.walled or new is None:
        return Judgement(access, False)
    return Judgement(
        access, previous is None or previous.text != new.text or previous.title != new.title
    )


def store_versions(
    conn: Connection,
    pages: Sequence[PageRecord],
    url_ids: Mapping[str, int],
    revisited: Sequence[tuple[int, datetime]] = (),
    decide: Decide | None = None,
) -> VersionsWritten:
    """Add a version for each article page whose text is a new version of the article's last
    open one (as `decide` judges it: walls never are, the story's `[versions]` rules say what
    is), move `last_seen` for the rest and for each (article url id, time) of `revisited`:
    revisits that found the page unchanged. Every extracted page with a stored capture gets its
    `extractions` row, with its access; a walled page moves the article's schedule on as a
    fetch that found nothing new (`walled`), never as a deletion."""
    decide = decide or by_text
    extracted = [p for p in pages if p.extraction is not None]
    capture_ids = _capture_ids(conn, extracted)
    articles = [p for p in extracted if p.article is not None]
    article_ids = sorted({url_ids[p.target_url] for p in articles} | {u for u, _ in revisited})
    prefer = _extractor_of(articles[0]) if articles else None
    latest = current_versions(conn, article_ids, prefer)
    numbers = max_version_numbers(conn, article_ids)
    version_ids = {(url_id, v.number): v.id for url_id, v in latest.items() if v.id}
    pending: dict[tuple[int, int], dict[str, Any]] = {}
    last_seen: dict[int, datetime] = {}
    first_seen: dict[int, datetime] = {}
    """Versions seen earlier than their first_seen: a capture copied from a web archive."""
    judged: dict[int, tuple[Relevance, tuple[int, int]]] = {}
    fetches: list[Fetch] = []
    made: list[tuple[int, Extraction, tuple[int, int] | None, AccessCheck]] = []
    """(capture id, extraction, (url id, version number) of its text, access) for the
    extractions rows."""
    walled = 0

    def seen(url_id: int, version: _Version, when: datetime) -> None:
        if version.id is None:
            row = pending[(url_id, version.number)]
            row["last_seen"] = max(row["last_seen"], when)
            row["first_seen"] = min(row["first_seen"], when)
        else:
            last_seen[version.id] = max(last_seen.get(version.id, when), when)
            first_seen[version.id] = min(first_seen.get(version.id, when), when)

    for page in extracted:
        assert page.extraction is not None
        capture_id = capture_ids.get(page.warc_record_id) if page.warc_record_id else None
        article = page.article
        url_id = url_ids[page.target_url]
        current = latest.get(url_id)
        if page.access.walled or (article is not None and page.access.suspect is not None):
            previous = current.version if current is not None else None
            new = Version.of(article) if article is not None else None
            judgement = decide(previous, new, page.access, page.description)
            if judgement.access.walled:
                walled += 1
                fetches.append(Fetch(url_id, page.fetched_at, "walled"))
                if capture_id is not None:
                    made.append((capture_id, page.extraction, None, judgement.access))
                continue
        if article is None:
            if capture_id is not None:
                made.append((capture_id, page.extraction, None, page.access))
            continue
        if current is not None and current.text_sha256 == article.text_sha256:
            judgement = Judgement(page.access, False)
        else:
            previous = current.version if current is not None else None
            judgement = decide(previous, Version.of(article), page.access, page.description)
        if current is not None and not judgement.new_version:
            seen(url_id, current, page.fetched_at)
            fetches.append(Fetch(url_id, page.fetched_at, "same"))
        else:
            number = numbers[url_id] = numbers.get(url_id, 0) + 1
            pending[(url_id, number)] = version_row(
                url_id,
                number,
                article,
                page.extraction.extractor,
                capture_id,
                page.fetched_at,
                edit=judgement.edit if current is not None else None,
            )
            current = latest[url_id] = _Version(
                number, article.text_sha256, None, Version.of(article)
            )
            served_by = url_ids[normalise_url(page.final_url)]
            fetches.append(Fetch(url_id, page.fetched_at, "new", fetch_url_id=served_by))
        if capture_id is not None:
            made.append((capture_id, page.extraction, (url_id, current.number), judgement.access))
        if page.relevance is not None:
            judged[url_id] = (page.relevance, (url_id, current.number))
    for url_id, when in revisited:
        if url_id in latest:
            seen(url_id, latest[url_id], when)

    version_ids.update(insert_versions(conn, list(pending.values())))
    bump_last_seen(conn, {id_: (first_seen[id_], when) for id_, when in last_seen.items()})
    upsert_extractions(
        conn,
        [
            extraction_row(capture_id, extraction, version_ids[key] if key else None, access)
            for capture_id, extraction, key, access in made
        ],
    )
    mark_rights(
        conn, [(capture_ids[p.warc_record_id], p) for p in pages if p.warc_record_id in capture_ids]
    )
    links = {url_id: (relevance, version_ids[key]) for url_id, (relevance, key) in judged.items()}
    unchanged = len(articles) - len(pending) - walled
    return VersionsWritten(len(pending), max(unchanged, 0), links, fetches, walled)


def mark_rights(conn: Connection, pages: Sequence[tuple[int, PageRecord]]) -> None:
    """Record on each page's capture (by id) where it asked not to be archived, and whether it
    is flagged for it. Captures that asked nothing are left as inserted (not flagged)."""
    rows = [
        {"b_id": capture_id, "b_noarchive": page.noarchive, "b_rights": page.rights}
        for capture_id, page in pages
        if page.rights is not None
    ]
    if rows:
        capture = m.Capture
        stmt = (
            update(capture)
            .where(capture.id == bindparam("b_id"))
            .values(noarchive=bindparam("b_noarchive"), rights=bindparam("b_rights"))
        )
        conn.execute(stmt, rows)


def upsert_story_links(conn: Connection, story_id: int, judged: Judged) -> int:
    """Link each judged article to the story, replacing an earlier judgement. Returns the count."""
    now = utcnow()
    values = [
        {
            "story_id": story_id,
            "url_id": url_id,
            "relevant": relevance.relevant,
            "relevance_score": relevance.score,
            "matched_terms": list(relevance.matched_terms),
            "reason": relevance.reason,
            "version_id": version_id,
            "updated_at": now,
        }
        for url_id, (relevance, version_id) in judged.items()
    ]
    if not values:
        return 0
    stmt = dialect_insert(conn, m.StoryArticle)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[m.StoryArticle.story_id, m.StoryArticle.url_id],
        set_={
            "relevant": new.relevant,
            "relevance_score": new.relevance_score,
            "matched_terms": new.matched_terms,
            "reason": new.reason,
            "version_id": new.version_id,
            "updated_at": new.updated_at,
        },
    )
    conn.execute(stmt, values)  # executemany: compiled once, batched by SQLAlchemy
    return len(values)


def current_versions(
    conn: Connection, url_ids: Sequence[int], prefer: ExtractorKey | None = None
) -> dict[int, _Version]:
    """The current version of each article: the one the text of its most recent capture maps to
    (see `ranked_versions`), for the whole batch at once."""
    current: dict[int, _Version] = {}
    for chunk in chunks(url_ids):
        ranked = ranked_versions(version_filter=m.ArticleVersion.url_id.in_(chunk), prefer=prefer)
        version = m.ArticleVersion
        rows = conn.execute(
            select(
                ranked.c.url_id,
                ranked.c.number,
                ranked.c.text_sha256,
                ranked.c.version_id,
                version.title,
                version.text,
                version.authors,
            )
            .join(version, version.id == ranked.c.version_id)
            .where(ranked.c.rank == 1)
        )
        for url_id, number, sha, id_, title, text, authors in rows:
            current[url_id] = _Version(number, sha, id_, Version(title, text, tuple(authors)))
    return current


def ranked_versions(
    version_filter: ColumnElement[bool] | None = None, prefer: ExtractorKey | None = None
) -> Subquery:
    """The versions of each article (`url_id`, `version_id`, `number`, `text_sha256`), `rank` 1
    for its current version.

    The current version is the one the article's most recent capture was extracted to: by
    `prefer` (an extractor and its options) when it extracted that capture, else by the latest
    extraction of it. Version numbers alone cannot tell: re-extraction adds versions for old
    captures. A version without an extraction (stored without a capture) counts as seen at its
    `last_seen`.
    """
    version, extraction, capture = m.ArticleVersion, m.Extraction, m.Capture
    order: list[ColumnElement[Any]] = [
        func.coalesce(capture.fetched_at, version.last_seen).desc(),
        func.coalesce(extraction.extracted_at, version.first_seen).desc(),
        version.version.desc(),
    ]
    if prefer is not None:
        preferred = and_(
            extraction.extractor == prefer.extractor,
            extraction.options_digest == prefer.options_digest,
        )
        order.insert(1, case((preferred, 1), else_=0).desc())
    rank = func.row_number().over(partition_by=version.url_id, order_by=order)
    stmt = (
        select(
            version.url_id,
            version.id.label("version_id"),
            version.version.label("number"),
            version.text_sha256,
            rank.label("rank"),
        )
        .outerjoin(extraction, extraction.version_id == version.id)
        .outerjoin(capture, capture.id == extraction.capture_id)
    )
    if version_filter is not None:
        stmt = stmt.where(version_filter)
    return stmt.subquery()


def max_version_numbers(conn: Connection, url_ids: Sequence[int]) -> dict[int, int]:
    """The highest version number of each article: a new version takes the next."""
    version = m.ArticleVersion
    return {
        url_id: number
        for chunk in chunks(url_ids)
        for url_id, number in conn.execute(
            select(version.url_id, func.max(version.version))
            .where(version.url_id.in_(chunk))
            .group_by(version.url_id)
        )
    }


def insert_versions(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[tuple[int, int], int]:
    """Insert version rows; their ids by (url id, number)."""
    if not rows:
        return {}
    # executemany: compiled once and cached, the rows batched by SQLAlchemy (insertmanyvalues),
    # instead of a multi-row VALUES compiled for every chunk
    stmt = insert(m.ArticleVersion).returning(
        m.ArticleVersion.url_id, m.ArticleVersion.version, m.ArticleVersion.id
    )
    return {(u, v): id_ for u, v, id_ in conn.execute(stmt, list(rows))}


def bump_last_seen(conn: Connection, seen: Mapping[int, tuple[datetime | None, datetime]]) -> None:
    """Widen versions (by id) to (first seen, last seen): neither ever moves inwards; a None
    first seen leaves it."""
    if not seen:
        return
    version = m.ArticleVersion
    earlier = [{"b_id": k, "b_seen": first} for k, (first, _) in seen.items() if first]
    later = [{"b_id": k, "b_seen": last} for k, (_, last) in seen.items()]
    for column, rows, moves in (
        (version.first_seen, earlier, version.first_seen > bindparam("b_seen")),
        (version.last_seen, later, version.last_seen < bindparam("b_seen")),
    ):
        if rows:
            stmt = (
                update(version)
                .where(version.id == bindparam("b_id"), moves)
                .values({column: bindparam("b_seen")})
            )
            conn.execute(stmt, rows)


def extraction_row(
    capture_id: int,
    extraction: Extraction,
    version_id: int | None,
    access: AccessCheck | None = None,
) -> dict[str, Any]:
    """An `extractions` row; a walled capture's reason says so ('walled: paywall') even when
    the wall left an article's teaser to extract."""
    reason = extraction.reason
    if access is not None and access.walled and not (reason or "").startswith("walled"):
        reason = f"walled: {access.access}"
    return {
        "capture_id": capture_id,
        "extractor": extraction.extractor,
        "options_digest": extraction.options_digest,
        "version_id": version_id,
        "reason": reason,
        "extracted_at": utcnow(),
        "access": access.access if access is not None else None,
        "access_reason": (access.reason if access.evidence else None) if access else None,
    }


def upsert_extractions(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Record extractions; one made again with the same extractor and options replaces the row
    (also within `rows`: one statement may not update a row twice)."""
    unique = {(r["capture_id"], r["extractor"], r["options_digest"]): r for r in rows}
    if not unique:
        return
    stmt = dialect_insert(conn, m.Extraction)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            m.Extraction.capture_id,
            m.Extraction.extractor,
            m.Extraction.options_digest,
        ],
        set_={
            "version_id": new.version_id,
            "reason": new.reason,
            "extracted_at": new.extracted_at,
            "access": new.access,
            "access_reason": new.access_reason,
        },
    )
    conn.execute(stmt, list(unique.values()))


def _capture_ids(conn: Connection, pages: Sequence[PageRecord]) -> dict[str, int]:
    record_ids = sorted({p.warc_record_id for p in pages if p.warc_record_id is not None})
    return {
        record_id: id_
        for chunk in chunks(record_ids)
        for record_id, id_ in conn.execute(
            select(m.Capture.warc_record_id, m.Capture.id).where(
                m.Capture.warc_record_id.in_(chunk)
            )
        )
    }


def _extractor_of(page: PageRecord) -> ExtractorKey:
    assert page.extraction is not None
    return ExtractorKey(page.extraction.extractor, page.extraction.options_digest)


def version_row(
    url_id: int,
    number: int,
    article: Article,
    extractor: str,
    capture_id: int | None,
    seen: datetime,
    *,
    edit: Edit | None = None,
) -> dict[str, Any]:
    """An `article_versions` row; `edit` is how it differs from the article's version before
    it (None for a first version: no kinds)."""
    return {
        "url_id": url_id,
        "version": number,
        "title": article.title,
        "authors": list(article.authors),
        "published": article.published,
        "modified": article.modified,
        "language": article.language,
        "site_name": article.site_name,
        "description": article.description,
        "text": article.text,
        "text_sha256": article.text_sha256,
        "word_count": article.word_count,
        "capture_id": capture_id,
        "first_seen": seen,
        "last_seen": seen,
        "extractor": extractor,
        "change_kinds": list(edit.kinds) if edit is not None else None,
        "stealth": edit.stealth if edit is not None else None,
        "published_time": stated_time(article.published_at),
        "modified_time": stated_time(article.modified_at),
        "language_source": article.language_source,
    }


def stated_time(moment: datetime | None) -> str | None:
    """A stated moment as ISO 8601 with its own offset, to the second."""
    return moment.isoformat(timespec="seconds") if moment is not None else None
