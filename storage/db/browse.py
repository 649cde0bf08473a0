"""Reads for browsing the archive (`newsarchive serve`): an article by id with its stories and
captures, one capture's record and the record that holds its body, and which of the URLs a page
links to are archived."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, func, or_, select
from sqlalchemy.orm import aliased

from crawler.core.urls import normalise_url
from storage.db import models as m
from storage.db.bulk import chunks
from storage.db.urls import url_hash

BODY_RECORDS = ("response", "resource", "revisit")
"""Record types whose capture can be replayed (a revisit through the record it refers to)."""


@dataclass(frozen=True, slots=True)
class StoryLink:
    story: str
    relevant: bool
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class CaptureRow:
    id: int
    url: str
    fetched_at: datetime
    status: int
    content_type: str | None
    record_type: str
    warc_filename: str
    warc_offset: int
    warc_record_id: str


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    id: int
    url: str
    publisher: str | None
    stories: list[StoryLink]
    captures: list[CaptureRow]
    """Of the article's URL and of its aliases (redirect sources, variants), oldest first."""


@dataclass(frozen=True, slots=True)
class RecordPlace:
    """Where a capture's record is, and the record that holds its body (the same one unless it
    is a revisit)."""

    capture: CaptureRow
    location: str | None
    body_filename: str | None
    body_offset: int | None
    """None for a revisit whose original is not in the database."""


def article(engine: Engine, url_id: int) -> ArticleInfo | None:
    """The article filed under URL `url_id`, or None when there is no such URL."""
    with engine.connect() as conn:
        found = conn.execute(
            select(m.Url.url, m.Publisher.name)
            .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
            .where(m.Url.id == url_id)
        ).one_or_none()
        if found is None:
            return None
        link = m.StoryArticle
        stories = [
            StoryLink(*row)
            for row in conn.execute(
                select(m.Story.name, link.relevant, link.relevance_score, link.reason)
                .join(m.Story, m.Story.id == link.story_id)
                .where(link.url_id == url_id)
                .order_by(m.Story.name)
            )
        ]
        captures = _captures(engine, or_(m.Url.id == url_id, m.Url.canonical_id == url_id))
    return ArticleInfo(url_id, found[0], found[1], stories, captures)


def capture_place(engine: Engine, capture_id: int) -> RecordPlace | None:
    """Capture `capture_id` and where its body is; None when there is no such capture."""
    capture, original = m.Capture, aliased(m.Capture, name="original")
    with engine.connect() as conn:
        found = conn.execute(
            select(capture.location, original.warc_filename, original.warc_offset)
            .outerjoin(original, original.id == capture.revisit_of_id)
            .where(capture.id == capture_id)
        ).one_or_none()
    if found is None:
        return None
    (row,) = _captures(engine, m.Capture.id == capture_id)
    location, body_file, body_offset = found
    if row.record_type != "revisit":
        body_file, body_offset = row.warc_filename, row.warc_offset
    return RecordPlace(row, location, body_file, body_offset)


def latest_captures(engine: Engine, urls: Iterable[str]) -> dict[str, int]:
    """For each of `urls` (absolute, as found in a page) that is archived, the id of its latest
    replayable capture. URLs are compared normalised (a #fragment does not count); one that
    does not normalise is not archived."""
    wanted: dict[str, bytes] = {}
    for url in set(urls):
        try:
            wanted[url] = url_hash(normalise_url(url))
        except ValueError:
            continue
    capture = m.Capture
    latest = (
        select(
            m.Url.url_hash,
            capture.id,
            func.row_number()
            .over(partition_by=m.Url.id, order_by=(capture.fetched_at.desc(), capture.id.desc()))
            .label("rank"),
        )
        .join(capture, capture.url_id == m.Url.id)
        .where(capture.record_type.in_(BODY_RECORDS))
    )
    by_hash: dict[bytes, int] = {}
    with engine.connect() as conn:
        for chunk in chunks(sorted(set(wanted.values()))):
            ranked = latest.where(m.Url.url_hash.in_(chunk)).subquery()
            for digest, id_ in conn.execute(
                select(ranked.c.url_hash, ranked.c.id).where(ranked.c.rank == 1)
            ):
                by_hash[digest] = id_
    return {url: by_hash[digest] for url, digest in wanted.items() if digest in by_hash}


def article_id(engine: Engine, url: str) -> int | None:
    """The id of the article `url` (or an alias of it) is filed under, None when it is no
    article."""
    asked = aliased(m.Url, name="asked")
    article_url = func.coalesce(asked.canonical_id, asked.id)
    with engine.connect() as conn:
        return conn.execute(
            select(article_url)
            .where(asked.url_hash == url_hash(normalise_url(url)))
            .where(
                select(m.ArticleVersion.id).where(m.ArticleVersion.url_id == article_url).exists()
            )
        ).scalar_one_or_none()


def _captures(engine: Engine, which: ColumnElement[bool]) -> list[CaptureRow]:
    capture = m.Capture
    with engine.connect() as conn:
        return [
            CaptureRow(*row)
            for row in conn.execute(
                select(
                    capture.id,
                    m.Url.url,
                    capture.fetched_at,
                    capture.status,
                    capture.content_type,
                    capture.record_type,
                    capture.warc_filename,
                    capture.warc_offset,
                    capture.warc_record_id,
                )
                .join(m.Url, m.Url.id == capture.url_id)
                .where(which)
                .order_by(capture.fetched_at, capture.id)
            )
        ]
