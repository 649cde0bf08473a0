"""The read side of the coverage report: a story's articles, edits and extraction health, as rows.

`crawler.services.report` turns them into the report's model (and diffs the edited texts): the
database layer reads, it does not assemble.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select
from sqlalchemy.orm import aliased

from storage.db import models as m
from storage.db.queries import unknown_story

ArticleRow = tuple[str, str, str | None, date | None, datetime, bool, int]
EditedRow = tuple[str, str, str | None, str | None, int, datetime, datetime, str, str]
HealthCounts = tuple[str, date, int, int, int, int, int]
EditRow = tuple[str, str, str | None, int, datetime, list[str], bool]


@dataclass(frozen=True, slots=True)
class ReportRows:
    """What the report shows of a story, as read from the database."""

    title: str
    articles: Sequence[ArticleRow]
    """(url, publisher, title, published, first_seen, relevant, versions), by URL."""
    edited: Sequence[EditedRow]
    """(url, publisher, first_title, last_title, versions, first_seen, last_changed, first_text,
    last_text), most versions first."""
    health: Sequence[HealthCounts]
    """(publisher, day, pages, with_text, with_title, with_date, with_author), by publisher
    and day."""
    edits: Sequence[EditRow] = ()
    """(url, publisher, title, version, first_seen, change_kinds, stealth) of every version with
    edit kinds, newest first."""
    walled: Sequence[tuple[str, int]] = ()
    """(access, captures) of the captures of the story's articles that showed a wall."""
    noarchive: int = 0
    """Captures of the story's articles flagged noarchive."""


def report_rows(
    engine: Engine, story: str, *, most_edited: int, include_noarchive: bool = False
) -> ReportRows:
    """The rows of the report of `story`, read in one transaction; `most_edited` articles with
    more than one version. Articles whose latest version's capture is flagged noarchive are left
    out unless `include_noarchive`. Raises `UnknownStory` for a story that is not in the
    database."""
    with engine.connect() as conn:
        found = conn.execute(
            select(m.Story.id, m.Story.title).where(m.Story.name == story)
        ).one_or_none()
        if found is None:
            raise unknown_story(conn, story)
        story_id, title = found
        hidden = set() if include_noarchive else _noarchive_articles(conn, story_id)
        return ReportRows(
            title=title,
            articles=[a for a in _articles(conn, story_id) if a[0] not in hidden],
            edited=[e for e in _edited(conn, story_id, most_edited) if e[0] not in hidden],
            health=_health(conn, story_id),
            edits=[e for e in _edits(conn, story_id) if e[0] not in hidden],
            walled=_walled(conn, story_id),
            noarchive=_noarchive_captures(conn, story_id),
        )


def _story_captures(story_id: int) -> Any:
    """The captures of the story's articles (of their URLs and the URLs filed under them)."""
    c, u, link = m.Capture, m.Url, m.StoryArticle
    return (
        select(c.id)
        .join(u, u.id == c.url_id)
        .join(link, link.url_id == func.coalesce(u.canonical_id, u.id))
        .where(link.story_id == story_id)
    )


def _noarchive_articles(conn: Connection, story_id: int) -> set[str]:
    """The URLs of the story's articles with a capture flagged noarchive."""
    c, u, link, article = m.Capture, m.Url, m.StoryArticle, aliased(m.Url)
    rows = conn.execute(
        select(article.url)
        .select_from(c)
        .join(u, u.id == c.url_id)
        .join(link, link.url_id == func.coalesce(u.canonical_id, u.id))
        .join(article, article.id == link.url_id)
        .where(link.story_id == story_id, c.noarchive.is_(True))
        .distinct()
    )
    return set(rows.scalars())


def _noarchive_captures(conn: Connection, story_id: int) -> int:
    c = m.Capture
    return conn.execute(
        select(func.count()).where(c.id.in_(_story_captures(story_id)), c.noarchive.is_(True))
    ).scalar_one()


def _walled(conn: Connection, story_id: int) -> list[tuple[str, int]]:
    x = m.Extraction
    rows = conn.execute(
        select(x.access, func.count(func.distinct(x.capture_id)))
        .where(x.capture_id.in_(_story_captures(story_id)), x.access.is_not(None))
        .where(x.access != "open")
        .group_by(x.access)
        .order_by(x.access)
    )
    return [(access or "", n) for access, n in rows]


def _edits(conn: Connection, story_id: int) -> list[EditRow]:
    """Every version of the story's articles with edit kinds, newest first."""
    v, link = m.ArticleVersion, m.StoryArticle
    rows = conn.execute(
        select(
            m.Url.url,
            func.coalesce(m.Publisher.name, "(no publisher)"),
            v.title,
            v.version,
            v.first_seen,
            v.change_kinds,
            v.stealth,
        )
        .select_from(link)
        .join(v, v.url_id == link.url_id)
        .join(m.Url, m.Url.id == link.url_id)
        .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
        .where(link.story_id == story_id, v.change_kinds.is_not(None))
        .order_by(v.first_seen.desc(), m.Url.url)
    )
    return [
        (url, publisher, title, n, seen, list(kinds), bool(stealth))
        for url, publisher, title, n, seen, kinds, stealth in rows
        if kinds
    ]


def _articles(conn: Connection, story_id: int) -> list[ArticleRow]:
    """The story's articles as of their latest version, with their version counts."""
    v, link = m.ArticleVersion, m.StoryArticle
    stats = (
        select(
            v.url_id,
            func.max(v.version).label("latest"),
            func.count().label("versions"),
            func.min(v.first_seen).label("first_seen"),
        )
        .group_by(v.url_id)
        .subquery("stats")
    )
    rows = conn.execute(
        select(
            m.Url.url,
            func.coalesce(m.Publisher.name, "(no publisher)"),
            v.title,
            v.published,
            stats.c.first_seen,
            link.relevant,
            stats.c.versions,
        )
        .select_from(link)
        .join(stats, stats.c.url_id == link.url_id)
        .join(v, and_(v.url_id == link.url_id, v.version == stats.c.latest))
        .join(m.Url, m.Url.id == link.url_id)
        .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
        .where(link.story_id == story_id)
        .order_by(m.Url.url)
    )
    return [
        (url, publisher, title, published, first_seen, relevant, versions)
        for url, publisher, title, published, first_seen, relevant, versions in rows
    ]


def _edited(conn: Connection, story_id: int, limit: int) -> list[EditedRow]:
    """The `limit` articles of the story with the most versions (more than one), with their
    first version's text and their latest's."""
    v, link = m.ArticleVersion, m.StoryArticle
    counts = (
        select(v.url_id, func.count().label("n"), func.max(v.version).label("latest"))
        .join(link, and_(link.url_id == v.url_id, link.story_id == story_id))
        .group_by(v.url_id)
        .having(func.count() > 1)
        .subquery("counts")
    )
    first, last = aliased(v, name="first"), aliased(v, name="last")
    rows = conn.execute(
        select(
            m.Url.url,
            func.coalesce(m.Publisher.name, "(no publisher)"),
            first.title,
            last.title,
            counts.c.n,
            first.first_seen,
            last.first_seen,
            first.text,
            last.text,
        )
        .select_from(counts)
        .join(first, and_(first.url_id == counts.c.url_id, first.version == 1))
        .join(last, and_(last.url_id == counts.c.url_id, last.version == counts.c.latest))
        .join(m.Url, m.Url.id == counts.c.url_id)
        .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
        .order_by(counts.c.n.desc(), last.first_seen.desc(), m.Url.url)
        .limit(limit)
    )
    return [
        (url, publisher, old_title, title, n, first_seen, changed, old, new)
        for url, publisher, old_title, title, n, first_seen, changed, old, new in rows
    ]


ARTICLE_LEADS = ("feed", "sitemap", "revisit")
"""How a URL was found when discovery took it for an article: an entry of a feed or a sitemap,
or a known article fetched again."""


def _health(conn: Connection, story_id: int) -> list[HealthCounts]:
    """Per publisher of the story and day: article pages fetched (status 200 HTML responses),
    how many of them gave an article (their URL, or the URL it is an alias of, has a version),
    and of those how many have a title, a date, an author in the article's latest version.

    Listing pages (home, section and tag pages) are left out: an article page is one that gave
    an article, or whose URL discovery took for an article (`ARTICLE_LEADS`). A page found only
    by a link that never gave an article counts as a listing."""
    c, v = m.Capture, m.ArticleVersion
    article = aliased(m.Url, name="article")
    latest = select(v.url_id, func.max(v.version).label("latest")).group_by(v.url_id).subquery()
    rows = conn.execute(
        select(
            m.Publisher.name,
            c.fetched_at,
            v.id.is_not(None),
            v.title,
            v.published,
            v.authors,
            m.Url.discovered_via,
        )
        .select_from(c)
        .join(m.Url, m.Url.id == c.url_id)
        .join(m.Publisher, m.Publisher.id == m.Url.publisher_id)
        .join(
            m.StorySource,
            and_(m.StorySource.publisher_id == m.Publisher.id, m.StorySource.story_id == story_id),
        )
        .join(article, article.id == func.coalesce(m.Url.canonical_id, m.Url.id))
        .outerjoin(latest, latest.c.url_id == article.id)
        .outerjoin(v, and_(v.url_id == article.id, v.version == latest.c.latest))
        .where(
            c.record_type == "response",
            c.status == 200,
            or_(c.content_type.like("text/html%"), c.content_type.like("application/xhtml%")),
        )
    )
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for publisher, fetched_at, is_article, title, published, authors, via in rows:
        if not is_article and via not in ARTICLE_LEADS:
            continue  # a listing page
        row = counts[(publisher, fetched_at.date())]
        row[0] += 1
        if is_article:
            row[1] += 1
            row[2] += bool(title)
            row[3] += published is not None
            row[4] += bool(authors)
    return [
        (publisher, day, pages, text, title, dated, authored)
        for (publisher, day), (pages, text, title, dated, authored) in sorted(counts.items())
    ]
