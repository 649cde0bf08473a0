"""The read side for a crawl's start: what it already knows about its story's sites.

A crawl reads this once, before its first request, with three set-based queries whatever the
number of URLs: the previous captures, the story's scheduled articles, and their aliases.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from crawler.core.revisit import PreviousCapture
from storage.db import models as m
from storage.db.bulk import dialect_insert

RevisitMode = Literal["due", "all", "none"]
"""Which known articles a crawl fetches again: those due, all that are not gone, or none."""
SkipReason = Literal["not-due", "stopped", "gone", "known"]


@dataclass(frozen=True, slots=True)
class Frontier:
    """What a crawl starts from; empty (the default) for a story's first crawl."""

    previous: dict[str, PreviousCapture] = field(default_factory=dict)
    """By URL, for every URL on the story's sites with a capture that holds a body: the newest
    such capture, with the validators of the URL's newest capture that stands for a body (a 304
    revisit may carry fresher ones than the response)."""
    due: list[str] = field(default_factory=list)
    """Fetch URLs of the story's articles to fetch again now, the longest due first."""
    skip: dict[str, SkipReason] = field(default_factory=dict)
    """Known article URLs and their aliases that discovery must not fetch this round, and why:
    'not-due', 'stopped' (the policy has stopped revisiting it), 'gone' (answered 404 or 410),
    or in mode 'none' 'known' for all of them."""
    published: dict[str, str] = field(default_factory=dict)
    """By URL, the form it was last published as (`url_forms`), when that is not the URL
    itself: a revisit requests that."""
    unjudged: frozenset[str] = frozenset()
    """URLs (in `previous`, but for a failed extraction's) whose page this story has not judged:
    an article of another story (or ingested without one), or an HTML page whose last capture was
    never extracted (a crawl with extraction off, or a failed extraction). The same bytes again
    must still be extracted for this story, so a request for one that is not a revisit carries no
    previous capture."""


ArticleState = Literal["due", "not-due", "stopped", "gone"]


@dataclass(frozen=True, slots=True)
class _Article:
    url_id: int
    url: str
    fetch_url: str
    state: ArticleState
    """Where the article's schedule stands at the frontier's `now`."""


def load_frontier(
    engine: Engine,
    story_name: str,
    hosts: Iterable[str],
    now: datetime,
    mode: RevisitMode,
    extraction: tuple[str, str] | None = None,
) -> Frontier:
    """The frontier of story `story_name` on `hosts` (host:port of its sources) at `now`.

    Mode 'due' fetches the articles due by `now` and skips every other known one; 'all' fetches
    every known article, deleted ones included (the way to check whether they came back); 'none'
    fetches none and skips all. A story that is not in the
    database yet has no articles. `extraction` (extractor name, options digest) is what this
    crawl would extract with: a page whose newest capture no such extraction judged (another
    extractor's rules or options, or an extraction that failed) is `unjudged`.
    """
    with engine.connect() as conn:
        publisher_ids = list(
            conn.execute(
                select(m.Publisher.id).where(m.Publisher.host.in_(sorted(set(hosts))))
            ).scalars()
        )
        previous = _previous_captures(conn, publisher_ids)
        story_id = conn.execute(
            select(m.Story.id).where(m.Story.name == story_name)
        ).scalar_one_or_none()
        unjudged = _unjudged(conn, story_id, publisher_ids, extraction)
        if story_id is None:
            return Frontier(previous=previous, unjudged=unjudged)
        published = _published(conn, story_id, publisher_ids)
        articles = _scheduled_articles(conn, story_id, publisher_ids, now)
        aliases = _aliases(conn, story_id, publisher_ids)

    reasons = {a.url_id: _reason(a.state, mode) for a in articles}
    due = [a for a in articles if reasons[a.url_id] is None]
    skip: dict[str, SkipReason] = {}
    for url, article_id in aliases:
        if (reason := reasons.get(article_id)) is not None:
            skip[url] = reason
    for article in articles:
        if (reason := reasons[article.url_id]) is not None:
            skip[article.url] = skip[article.fetch_url] = reason
    due_urls = [a.fetch_url for a in due]
    for url in due_urls:
        skip.pop(url, None)  # a fetch URL since made an alias of another article is still due
    return Frontier(
        previous=previous, due=due_urls, skip=skip, published=published, unjudged=unjudged
    )


def _reason(state: ArticleState, mode: RevisitMode) -> SkipReason | None:
    """Why discovery leaves an article alone this round; None when it is fetched again."""
    if mode == "none":
        return "known"
    if state == "due" or mode == "all":
        return None
    return state


def _previous_captures(
    conn: Connection, publisher_ids: Sequence[int]
) -> dict[str, PreviousCapture]:
    """The newest body capture of every URL of these publishers, with the newest validators.

    One pass over the URLs' body and revisit captures, newest first: the newest body is the first
    row of its URL's responses, and the validators are carried over from the URL's first row.
    A URL whose newest body every extraction failed on (a worker that died, a timeout), none
    succeeded, has none, once: the same bytes again would be a revisit record, never extracted,
    and its validators would bring a 304. Fetched unconditionally, the answer is archived whole
    and extracted again, as a user re-crawling it would expect. A body that failed that second
    time too (an earlier capture of the same payload failed as well) fails the same way each
    time: it is compared again, so that its copies become revisit records.
    """
    c, e = m.Capture, m.Extraction
    newest_first = (c.fetched_at.desc(), c.id.desc())
    ranked = (
        select(
            c.id,
            c.url_id,
            c.record_type,
            c.warc_record_id,
            c.fetched_at,
            c.payload_digest,
            func.row_number()
            .over(partition_by=(c.url_id, c.record_type), order_by=newest_first)
            .label("rank"),
            func.first_value(c.etag)
            .over(partition_by=c.url_id, order_by=newest_first)
            .label("etag"),
            func.first_value(c.last_modified)
            .over(partition_by=c.url_id, order_by=newest_first)
            .label("last_modified"),
        )
        .join(m.Url, m.Url.id == c.url_id)
        .where(
            m.Url.publisher_id.in_(publisher_ids),
            or_(and_(c.record_type == "response", c.status == 200), c.record_type == "revisit"),
        )
        .subquery("ranked")
    )
    error = e.reason.startswith("error:")
    failed = select(e.id).where(e.capture_id == ranked.c.id, error).exists()
    succeeded = (
        select(e.id).where(e.capture_id == ranked.c.id, or_(e.reason.is_(None), ~error)).exists()
    )
    earlier = aliased(c)
    failed_before = (
        select(earlier.id)
        .join(e, e.capture_id == earlier.id)
        .where(
            earlier.url_id == ranked.c.url_id,
            earlier.payload_digest == ranked.c.payload_digest,
            earlier.id != ranked.c.id,
            earlier.record_type == "response",
            error,
        )
        .exists()
    )
    rows = conn.execute(
        select(m.Url.url, ranked)
        .join(m.Url, m.Url.id == ranked.c.url_id)
        .where(
            ranked.c.record_type == "response",
            ranked.c.rank == 1,
            or_(~failed, succeeded, failed_before),
        )
    )
    return {row.url: _previous(row) for row in rows}


def _unjudged(
    conn: Connection,
    story_id: int | None,
    publisher_ids: Sequence[int],
    extraction: tuple[str, str] | None,
) -> frozenset[str]:
    """`Frontier.unjudged`: the articles of these publishers that no `story_articles` row of
    this story relates to, and the URLs whose newest HTML body capture has no extraction (with
    `extraction`: none by that extractor and options that did not fail)."""
    c, e, v = m.Capture, m.Extraction, m.ArticleVersion
    judged = select(m.StoryArticle.url_id).where(m.StoryArticle.story_id == story_id)
    others = (
        select(m.Url.url)
        .join(v, v.url_id == m.Url.id)
        .where(m.Url.publisher_id.in_(publisher_ids), m.Url.id.not_in(judged))
        .distinct()
    )
    newest = (
        select(
            c.id,
            c.url_id,
            c.content_type,
            func.row_number()
            .over(partition_by=c.url_id, order_by=(c.fetched_at.desc(), c.id.desc()))
            .label("rank"),
        )
        .join(m.Url, m.Url.id == c.url_id)
        .where(m.Url.publisher_id.in_(publisher_ids), c.record_type == "response", c.status == 200)
        .subquery("newest")
    )
    html = or_(
        newest.c.content_type.is_(None),
        newest.c.content_type.startswith("text/html"),
        newest.c.content_type.startswith("application/xhtml+xml"),
    )
    judged_by = select(e.id).where(e.capture_id == newest.c.id)
    if extraction is not None:
        extractor, options_digest = extraction
        judged_by = judged_by.where(
            e.extractor == extractor,
            e.options_digest == options_digest,
            or_(e.reason.is_(None), ~e.reason.startswith("error:")),
        )
    unextracted = (
        select(m.Url.url)
        .join(newest, newest.c.url_id == m.Url.id)
        .where(newest.c.rank == 1, html, ~judged_by.exists())
    )
    return frozenset(conn.execute(others).scalars()) | frozenset(
        conn.execute(unextracted).scalars()
    )


def _scheduled(story_id: int, publisher_ids: Sequence[int]) -> Select[int]:
    """The ids of the story's scheduled articles on these publishers' sites."""
    s, link = m.ArticleSchedule, m.StoryArticle
    return (
        select(s.url_id)
        .join(link, and_(link.url_id == s.url_id, link.story_id == story_id))
        .join(m.Url, m.Url.id == s.url_id)
        .where(m.Url.publisher_id.in_(publisher_ids))
    )


def _scheduled_articles(
    conn: Connection, story_id: int, publisher_ids: Sequence[int], now: datetime
) -> list[_Article]:
    """The story's scheduled articles, the longest due first. Their state is worked out in the
    query, which spares converting two timestamps per article."""
    s = m.ArticleSchedule
    article, fetch = aliased(m.Url, name="article"), aliased(m.Url, name="fetch")
    state = case(
        (s.gone_at.is_not(None), "gone"),
        (s.next_due_at.is_(None), "stopped"),
        (s.next_due_at > now, "not-due"),
        else_="due",
    )
    rows = conn.execute(
        select(s.url_id, article.url, fetch.url, state)
        .join(article, article.id == s.url_id)
        .join(fetch, fetch.id == s.fetch_url_id)
        .where(s.url_id.in_(_scheduled(story_id, publisher_ids)))
        .order_by(s.next_due_at.asc().nulls_last(), s.url_id)
    )
    return [_Article(url_id, url, fetch_url, state) for url_id, url, fetch_url, state in rows]


def _published(conn: Connection, story_id: int, publisher_ids: Sequence[int]) -> dict[str, str]:
    """{fetch URL of a scheduled article: the form it was last published as}."""
    s, f = m.ArticleSchedule, m.UrlForm
    fetch = aliased(m.Url, name="fetch")
    scheduled = _scheduled(story_id, publisher_ids).subquery("scheduled")
    rows = conn.execute(
        select(fetch.url, f.form)
        .join(s, s.fetch_url_id == fetch.id)
        .join(scheduled, scheduled.c.url_id == s.url_id)
        .join(f, f.url_id == fetch.id)
        .order_by(f.last_seen, f.id)
    )
    return {url: form for url, form in rows}  # the last seen last: it wins


def _aliases(
    conn: Connection, story_id: int, publisher_ids: Sequence[int]
) -> list[tuple[str, int]]:
    """(alias URL, article id) of every URL that points at one of the story's articles."""
    alias = aliased(m.Url, name="alias")
    scheduled = _scheduled(story_id, publisher_ids).subquery("scheduled")
    rows = conn.execute(
        select(alias.url, scheduled.c.url_id).join(
            scheduled, scheduled.c.url_id == alias.canonical_id
        )
    )
    return [(url, article_id) for url, article_id in rows]


def requisite_captures(engine: Engine) -> dict[str, PreviousCapture]:
    """The newest body capture of every URL whose newest body is not HTML (stylesheets, images,
    fonts, scripts: a crawl's page requisites), with the newest validators, by normalised URL."""
    c = m.Capture
    newest_first = (c.fetched_at.desc(), c.id.desc())
    ranked = (
        select(
            c.url_id,
            c.warc_record_id,
            c.fetched_at,
            c.payload_digest,
            c.content_type,
            c.etag,
            c.last_modified,
            func.row_number().over(partition_by=c.url_id, order_by=newest_first).label("rank"),
        )
        .where(c.record_type == "response", c.status == 200)
        .subquery("ranked")
    )
    html = or_(
        ranked.c.content_type.is_(None),
        ranked.c.content_type.in_(("text/html", "application/xhtml+xml")),
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, ranked)
            .join(m.Url, m.Url.id == ranked.c.url_id)
            .where(ranked.c.rank == 1, ~html)
        ).all()
    return {row.url: _previous(row) for row in rows}


def pages_with_requisites(engine: Engine, archived: Container[str], finder: int) -> set[str]:
    """The record ids of the page bodies whose requisites (`page_requisites`), as found by
    version `finder` of the finder, are all in `archived` (normalised URLs): a crawl that gets
    one of those bodies again has nothing to ask for it. A body no crawl read for requisites, or
    read by another version of the finder, is not among them."""
    p = m.PageRequisites
    known: set[str] = set()
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=1000).execute(
            select(p.record_id, p.urls).where(p.finder == finder)
        )
        for record_id, urls in rows:
            if all(url in archived for url in urls.split("\n") if url):
                known.add(record_id)
    return known


def store_page_requisites(
    engine: Engine, pages: Sequence[tuple[str, Sequence[str]]], finder: int
) -> None:
    """Record the requisites found in page bodies by version `finder` of the finder: (record id
    of the body, normalised URLs). A body read again (some of its requisites were missing, or
    another version found them) replaces its row; so does a row another crawl sharing the
    database stored meanwhile. Rows are written in key order, so that two crawls writing the
    same keys at once (the same unchanged page) lock them in the same order and one waits for
    the other, rather than each holding a row the other needs (PostgreSQL aborts one of them)."""
    if not pages:
        return
    rows = {record_id: "\n".join(urls) for record_id, urls in pages}
    # in key order: two crawls upserting the same keys in different orders would deadlock
    values = [{"record_id": k, "urls": rows[k], "finder": finder} for k in sorted(rows)]
    with engine.begin() as conn:
        upsert = dialect_insert(conn, m.PageRequisites)
        statement = upsert.on_conflict_do_update(
            index_elements=["record_id"],
            set_={"urls": upsert.excluded.urls, "finder": upsert.excluded.finder},
        )
        conn.execute(statement, values)  # executemany: compiled once


def _previous(row: Row[Any]) -> PreviousCapture:
    """A URL's last capture (a row of a `ranked` capture query joined to its URL), as a revisit
    refers to it."""
    return PreviousCapture(
        url=row.url,
        record_id=row.warc_record_id,
        target_uri=row.url,
        fetched_at=row.fetched_at,
        payload_digest=row.payload_digest,
        etag=row.etag,
        last_modified=row.last_modified,
    )
