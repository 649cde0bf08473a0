"""Article versions and story links within a batch write.

A page adds a version only when its text differs from the article's latest one, so the versions
of a whole batch are worked out in memory against one read of the latest stored versions. What
each page did (new version or same text) is handed on to the revisit schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from crawler.extraction.article import Article, Relevance
from crawler.urls import normalise_url
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.models import utcnow
from storage.db.records import PageRecord
from storage.db.schedule import Fetch

Judged = dict[int, tuple[Relevance, int]]
"""{article url id: (relevance, id of the version judged)}."""


@dataclass(frozen=True, slots=True)
class _Version:
    """The latest version of an article while a batch is being written."""

    number: int
    text_sha256: str
    id: int | None
    """None while the version is only a row waiting to be inserted."""


@dataclass(frozen=True, slots=True)
class VersionsWritten:
    new: int
    unchanged: int
    """Article pages whose text equals the latest version."""
    judged: Judged
    fetches: list[Fetch]
    """What each article page did, for the revisit schedule."""


def store_versions(
    conn: Connection,
    articles: Sequence[tuple[PageRecord, Article, str]],
    url_ids: Mapping[str, int],
    revisited: Sequence[tuple[int, datetime]] = (),
) -> VersionsWritten:
    """Add a version for each (page, article, extractor) whose text is new, move `last_seen` for
    the rest and for each (article url id, time) of `revisited`: revisits that found the page
    unchanged."""
    pages = [page for page, _, _ in articles]
    record_ids = sorted({p.warc_record_id for p in pages if p.warc_record_id is not None})
    capture_ids = {
        record_id: id_
        for chunk in chunks(record_ids)
        for record_id, id_ in conn.execute(
            select(m.Capture.warc_record_id, m.Capture.id).where(
                m.Capture.warc_record_id.in_(chunk)
            )
        )
    }
    latest = _latest_versions(
        conn, sorted({url_ids[p.target_url] for p in pages} | {u for u, _ in revisited})
    )
    version_ids = {(url_id, v.number): v.id for url_id, v in latest.items() if v.id}
    pending: dict[tuple[int, int], dict[str, Any]] = {}
    last_seen: dict[int, datetime] = {}
    judged: dict[int, tuple[Relevance, tuple[int, int]]] = {}
    fetches: list[Fetch] = []

    def seen(url_id: int, version: _Version, when: datetime) -> None:
        if version.id is None:
            row = pending[(url_id, version.number)]
            row["last_seen"] = max(row["last_seen"], when)
        else:
            last_seen[version.id] = max(last_seen.get(version.id, when), when)

    for page, article, extractor in articles:
        url_id = url_ids[page.target_url]
        current = latest.get(url_id)
        if current is not None and current.text_sha256 == article.text_sha256:
            seen(url_id, current, page.fetched_at)
            fetches.append(Fetch(url_id, page.fetched_at, "same"))
        else:
            number = current.number + 1 if current is not None else 1
            capture_id = capture_ids.get(page.warc_record_id) if page.warc_record_id else None
            pending[(url_id, number)] = _version_row(
                url_id, number, article, extractor, capture_id, page.fetched_at
            )
            current = latest[url_id] = _Version(number, article.text_sha256, None)
            served_by = url_ids[normalise_url(page.final_url)]
            fetches.append(Fetch(url_id, page.fetched_at, "new", fetch_url_id=served_by))
        if page.relevance is not None:
            judged[url_id] = (page.relevance, (url_id, current.number))
    for url_id, when in revisited:
        if url_id in latest:
            seen(url_id, latest[url_id], when)

    for chunk in chunks(list(pending.values())):
        stmt = (
            insert(m.ArticleVersion)
            .values(chunk)
            .returning(m.ArticleVersion.url_id, m.ArticleVersion.version, m.ArticleVersion.id)
        )
        version_ids.update({(u, v): id_ for u, v, id_ in conn.execute(stmt)})
    if last_seen:
        bump = (
            update(m.ArticleVersion)
            .where(
                m.ArticleVersion.id == bindparam("b_id"),
                m.ArticleVersion.last_seen < bindparam("b_seen"),
            )
            .values(last_seen=bindparam("b_seen"))
        )
        conn.execute(bump, [{"b_id": k, "b_seen": v} for k, v in last_seen.items()])
    links = {url_id: (relevance, version_ids[key]) for url_id, (relevance, key) in judged.items()}
    return VersionsWritten(len(pending), len(articles) - len(pending), links, fetches)


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
    for chunk in chunks(values):
        stmt = dialect_insert(conn, m.StoryArticle).values(chunk)
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
        conn.execute(stmt)
    return len(values)


def _latest_versions(conn: Connection, url_ids: Sequence[int]) -> dict[int, _Version]:
    """The latest stored version of each article, for the whole batch at once."""
    latest: dict[int, _Version] = {}
    version = m.ArticleVersion
    for chunk in chunks(url_ids):
        newest = (
            select(version.url_id, func.max(version.version).label("number"))
            .where(version.url_id.in_(chunk))
            .group_by(version.url_id)
            .subquery()
        )
        rows = conn.execute(
            select(version.url_id, version.version, version.text_sha256, version.id).join(
                newest,
                and_(version.url_id == newest.c.url_id, version.version == newest.c.number),
            )
        )
        for url_id, number, sha, id_ in rows:
            latest[url_id] = _Version(number, sha, id_)
    return latest


def _version_row(
    url_id: int,
    number: int,
    article: Article,
    extractor: str,
    capture_id: int | None,
    seen: datetime,
) -> dict[str, Any]:
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
    }
