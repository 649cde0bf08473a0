"""The stories in a database, with their counts: what `newsarchive stories` lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, distinct, func, select

from storage.db import models as m


@dataclass(frozen=True, slots=True)
class StorySummary:
    name: str
    title: str
    publishers: int
    """The publishers its story file watches."""
    articles: int
    """Articles judged for the story (linked to it), relevant or not."""
    relevant: int
    versions: int
    """Versions of those articles."""
    captures: int
    """Archived responses of its publishers' URLs (a publisher shared with another story counts
    in both)."""
    last_crawl: datetime | None
    """When its latest crawl run started; None when it has none recorded."""
    last_finish: str | None
    """How that run ended ('finished', 'shutdown'…), None while it runs or when it died."""


def story_summaries(engine: Engine) -> list[StorySummary]:
    """Every story, by name, with its counts, read in one transaction."""
    link, version, source = m.StoryArticle, m.ArticleVersion, m.StorySource
    with engine.connect() as conn:
        stories = conn.execute(select(m.Story.id, m.Story.name, m.Story.title)).all()
        publishers = _by_story(
            conn.execute(select(source.story_id, func.count()).group_by(source.story_id))
        )
        articles = _by_story(
            conn.execute(select(link.story_id, func.count()).group_by(link.story_id))
        )
        relevant = _by_story(
            conn.execute(
                select(link.story_id, func.count())
                .where(link.relevant.is_(True))
                .group_by(link.story_id)
            )
        )
        versions = _by_story(
            conn.execute(
                select(link.story_id, func.count(version.id))
                .join(version, version.url_id == link.url_id)
                .group_by(link.story_id)
            )
        )
        captures = _by_story(
            conn.execute(
                select(source.story_id, func.count(distinct(m.Capture.id)))
                .join(m.Url, m.Url.publisher_id == source.publisher_id)
                .join(m.Capture, m.Capture.url_id == m.Url.id)
                .group_by(source.story_id)
            )
        )
        latest = (
            select(m.CrawlRun.story_id, func.max(m.CrawlRun.id).label("run_id"))
            .group_by(m.CrawlRun.story_id)
            .subquery()
        )
        runs = {
            story_id: (started, reason)
            for story_id, started, reason in conn.execute(
                select(latest.c.story_id, m.CrawlRun.started_at, m.CrawlRun.finish_reason).join(
                    m.CrawlRun, m.CrawlRun.id == latest.c.run_id
                )
            )
        }
    return sorted(
        (
            StorySummary(
                name=name,
                title=title,
                publishers=publishers.get(id_, 0),
                articles=articles.get(id_, 0),
                relevant=relevant.get(id_, 0),
                versions=versions.get(id_, 0),
                captures=captures.get(id_, 0),
                last_crawl=runs.get(id_, (None, None))[0],
                last_finish=runs.get(id_, (None, None))[1],
            )
            for id_, name, title in stories
        ),
        key=lambda s: s.name,
    )


def _by_story(rows: Iterable[Any]) -> dict[int, int]:
    return {story_id: count for story_id, count in rows}
