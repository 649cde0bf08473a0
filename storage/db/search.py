"""Full-text search over article versions (the index of storage/db/fts.py), on either backend.

One parsed query (`crawler.core.search`) is rendered as an FTS5 query string on SQLite and as a
tsquery expression on PostgreSQL, so users write one syntax. Matches are marked in snippets and
texts with `MARK_START` and `MARK_END`, characters of Unicode's private use area that no text
the archive shows should contain; callers turn them into colour, brackets or `<mark>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Subquery,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)

from crawler.core.search import AnyOf, Node, Term
from storage.db import fts
from storage.db import models as m
from storage.db.bulk import chunks
from storage.db.queries import ArticleFilter, date_window, find_publisher_ids, find_story_id
from storage.db.versions import ranked_versions

MARK_START = "\ue000"
MARK_END = "\ue001"
SNIPPET_WORDS = 32
"""About how many words a snippet shows around its matches."""
Row = TypeVarTuple("Row")
EVERYTHING = ArticleFilter()
"""No filter: every article."""
_FTS = table(fts.SEARCH_TABLE, column("rowid"))
_FTS_NAME: ColumnClause[Any] = literal_column(fts.SEARCH_TABLE)
"""The FTS5 table as a FROM, and its name as FTS5's functions and MATCH take it."""
TITLE_WEIGHT = 4.0
"""How much more a match in the title counts than one in the text, on SQLite (bm25's column
weight; PostgreSQL weighs the title A and the text B, ts_rank's 1.0 against 0.4)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching version of an article."""

    version_id: int
    url_id: int
    url: str
    publisher: str | None
    title: str | None
    number: int
    """The version's number."""
    current: bool
    """Whether it is the article's current version (the text of its most recent capture)."""
    first_seen: datetime
    last_seen: datetime
    published: date | None
    score: float
    """Higher is a better match; comparable within one search only."""
    snippet: str
    """A short passage (title or text) with the matches between `MARK_START` and `MARK_END`."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    """Best match first (then by article and version), at most the limit asked for."""
    total: int
    """Matching versions (current versions, unless all were asked for) before the limit."""


@dataclass(frozen=True, slots=True)
class VersionText:
    """A version's title and text; marked (matches between the marks) when it matched."""

    version_id: int
    title: str
    text: str
    matched: bool


@dataclass(frozen=True, slots=True)
class VersionStep:
    """One version in an article's history, for comparing it with the one before."""

    version_id: int
    url_id: int
    number: int
    first_seen: datetime
    last_seen: datetime


def fts5_query(node: Node) -> str:
    """The query as an SQLite FTS5 expression: every term a quoted string (so nothing in it is
    FTS5 syntax), NOT in FTS5's binary form `(a) NOT (b)`."""
    if isinstance(node, Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        return f"{quoted} *" if node.prefix else quoted
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts5_query(item) for item in node.items) + ")"
    included = "(" + " AND ".join(fts5_query(item) for item in node.include) + ")"
    if not node.exclude:
        return included
    return f"({included} NOT ({' OR '.join(fts5_query(item) for item in node.exclude)}))"


def tsquery(node: Node) -> ColumnElement[Any]:
    """The query as a PostgreSQL tsquery expression, each term a bound parameter parsed by the
    same configuration as the documents: a word or phrase by `phraseto_tsquery`, a prefix as
    `'word':*`."""
    config = _config()
    if isinstance(node, Term):
        if node.prefix:
            lexeme = "'" + node.text.replace("\\", "\\\\").replace("'", "''") + "':*"
            return func.to_tsquery(config, bindparam(None, lexeme))
        return func.phraseto_tsquery(config, bindparam(None, node.text))
    if isinstance(node, AnyOf):
        return _joined(tsquery(item) for item in node.items)
    query = _joined((tsquery(item) for item in node.include), "&&")
    for item in node.exclude:
        query = query.op("&&")(func.tsquery_not(tsquery(item)))
    return query


def _joined(parts: Iterable[ColumnElement[Any]], operator: str = "||") -> ColumnElement[Any]:
    items = list(parts)
    query = items[0]
    for item in items[1:]:
        query = query.op(operator)(item)
    return query


def search(
    engine: Engine,
    query: Node,
    filters: ArticleFilter = EVERYTHING,
    *,
    all_versions: bool = False,
    limit: int | None = 50,
) -> SearchResult:
    """The versions matching `query`: by default only current versions (one hit per article at
    most), with `all_versions` every matching version. An unknown story or publisher in
    `filters` raises `UnknownStory` or `UnknownPublisher`."""
    version = m.ArticleVersion
    with engine.connect() as conn:
        matches = _matches(conn, query)
        # One pass finds and ranks every match (the total needs them all); the columns shown are
        # read for the page of hits only.
        stmt = _filtered(
            conn,
            select(version.id, version.url_id, version.version, matches.c.score).join(
                matches, matches.c.version_id == version.id
            ),
            filters,
        )
        if not all_versions:
            current = _current(matches)
            stmt = stmt.join(current, current.c.version_id == version.id)
        ranked = sorted(conn.execute(stmt), key=lambda r: (-r[3], r[1], r[2]))
        page = ranked[:limit] if limit else ranked
        ids = [row[0] for row in page]
        scores = {row[0]: row[3] for row in page}
        shown = _shown(conn, ids)
        current_ids = _current_ids(conn, matches, ids) if all_versions else set(ids)
        snippets = _snippets(conn, query, ids)
    rows = [(*shown[id_], scores[id_]) for id_ in ids]
    hits = [
        Hit(
            version_id=id_,
            url_id=url_id,
            url=url,
            publisher=publisher,
            title=title,
            number=number,
            current=id_ in current_ids,
            first_seen=first_seen,
            last_seen=last_seen,
            published=published,
            score=float(score),
            snippet=snippets.get(id_, ""),
        )
        for (
            id_,
            url_id,
            url,
            publisher,
            title,
            number,
            first_seen,
            last_seen,
            published,
            score,
        ) in rows
    ]
    return SearchResult(hits, len(ranked))


def _shown(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """What a hit shows of each of `ids`, by id, in `Hit`'s order up to `published`."""
    version = m.ArticleVersion
    found: dict[int, tuple[Any, ...]] = {}
    for chunk in chunks(list(ids)):
        for row in conn.execute(
            select(
                version.id,
                version.url_id,
                m.Url.url,
                m.Publisher.name,
                version.title,
                version.version,
                version.first_seen,
                version.last_seen,
                version.published,
            )
            .join(m.Url, m.Url.id == version.url_id)
            .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
            .where(version.id.in_(chunk))
        ):
            found[row[0]] = tuple(row)
    return found


def matching_steps(
    engine: Engine, query: Node, filters: ArticleFilter = EVERYTHING
) -> tuple[list[VersionStep], set[int]]:
    """Every version of each article (filtered by story and publisher) that has a version
    matching `query` and more than one version, in history order (first seen, then number), and
    the ids of the versions that match. For finding the edits that added or removed a match."""
    version = m.ArticleVersion
    with engine.connect() as conn:
        matches = _matches(conn, query)
        matched = _filtered(
            conn,
            select(version.id, version.url_id).join(matches, matches.c.version_id == version.id),
            filters,
            dates=False,
        ).subquery()
        several = (
            select(version.url_id)
            .where(version.url_id.in_(select(matched.c.url_id)))
            .group_by(version.url_id)
            .having(func.count() > 1)
        )
        steps = [
            VersionStep(*row)
            for row in conn.execute(
                select(
                    version.id,
                    version.url_id,
                    version.version,
                    version.first_seen,
                    version.last_seen,
                )
                .where(version.url_id.in_(several))
                .order_by(version.url_id, version.first_seen, version.version)
            )
        ]
        matched_ids = set(conn.execute(select(matched.c.id)).scalars())
    return steps, matched_ids


def version_texts(
    engine: Engine, query: Node, version_ids: Iterable[int], matched: set[int]
) -> dict[int, VersionText]:
    """The title and text of each version, with every match marked in those that `matched`."""
    wanted = sorted(set(version_ids))
    version = m.ArticleVersion
    found: dict[int, VersionText] = {}
    with engine.connect() as conn:
        for chunk in chunks(wanted):
            marked = [id_ for id_ in chunk if id_ in matched]
            for id_, title, text in _marked_texts(conn, query, marked):
                found[id_] = VersionText(id_, title or "", text, matched=True)
            plain = [id_ for id_ in chunk if id_ not in matched]
            for id_, title, text in conn.execute(
                select(version.id, version.title, version.text).where(version.id.in_(plain))
            ):
                found[id_] = VersionText(id_, title or "", text, matched=False)
    return found


def article_of(engine: Engine, url_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """(URL, publisher name) of each article."""
    wanted = sorted(set(url_ids))
    with engine.connect() as conn:
        return {
            url_id: (url, publisher)
            for chunk in chunks(wanted)
            for url_id, url, publisher in conn.execute(
                select(m.Url.id, m.Url.url, m.Publisher.name)
                .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
                .where(m.Url.id.in_(chunk))
            )
        }


def _matches(conn: Connection, query: Node) -> Subquery:
    """(version_id, score) of every version matching `query`."""
    if conn.dialect.name == "sqlite":
        return (
            select(
                _FTS.c.rowid.label("version_id"),
                (-func.bm25(_FTS_NAME, TITLE_WEIGHT, 1.0)).label("score"),
            )
            .where(_FTS_NAME.match(fts5_query(query)))
            .subquery("matches")
        )
    document = _pg_document()
    tsq = tsquery(query)
    return (
        select(m.ArticleVersion.id.label("version_id"), func.ts_rank(document, tsq).label("score"))
        .where(document.op("@@")(tsq))
        .subquery("matches")
    )


def _config() -> ColumnClause[Any]:
    return literal_column(f"'{fts.CONFIG}'::regconfig")


def _pg_document() -> ColumnElement[Any]:
    return literal_column(f"{m.ArticleVersion.__tablename__}.{fts.SEARCH_COLUMN}")


def _filtered(
    conn: Connection, stmt: Select[*Row], filters: ArticleFilter, *, dates: bool = True
) -> Select[*Row]:
    """`stmt` (over `article_versions`) joined with the article's URL and publisher, and
    narrowed to the story, publishers and dates of `filters`."""
    version = m.ArticleVersion
    stmt = stmt.join(m.Url, m.Url.id == version.url_id).outerjoin(
        m.Publisher, m.Publisher.id == m.Url.publisher_id
    )
    if filters.story is not None:
        story = find_story_id(conn, filters.story)
        link = m.StoryArticle
        on = and_(link.url_id == version.url_id, link.story_id == story)
        if filters.relevant_only:
            on = and_(on, link.relevant.is_(True))
        stmt = stmt.join(link, on)
    elif filters.relevant_only:
        stmt = stmt.where(
            version.url_id.in_(
                select(m.StoryArticle.url_id).where(m.StoryArticle.relevant.is_(True))
            )
        )
    if filters.publishers:
        stmt = stmt.where(m.Url.publisher_id.in_(find_publisher_ids(conn, filters.publishers)))
    window = date_window(filters) if dates else []
    if window:
        stmt = stmt.outerjoin(m.ArticleSchedule, m.ArticleSchedule.url_id == version.url_id).where(
            *window
        )
    return stmt


def _current(matches: Subquery) -> Subquery:
    """The current version of every article that has a matching version (ranked only among
    those articles, not the whole table)."""
    version = m.ArticleVersion
    having = select(version.url_id).join(matches, matches.c.version_id == version.id)
    ranked = ranked_versions(version.url_id.in_(having))
    return select(ranked.c.version_id).where(ranked.c.rank == 1).subquery("current")


def _current_ids(conn: Connection, matches: Subquery, ids: Sequence[int]) -> set[int]:
    """Those of `ids` that are current versions."""
    current = _current(matches)
    return {
        id_
        for chunk in chunks(list(ids))
        for id_ in conn.execute(
            select(current.c.version_id).where(current.c.version_id.in_(chunk))
        ).scalars()
    }


def _snippets(conn: Connection, query: Node, ids: Sequence[int]) -> dict[int, str]:
    """A snippet of each of `ids` (matching versions) with its matches marked."""
    found: dict[int, str] = {}
    for chunk in chunks(list(ids)):
        if conn.dialect.name == "sqlite":
            snippet = func.snippet(_FTS_NAME, -1, MARK_START, MARK_END, "…", SNIPPET_WORDS)
            stmt = select(_FTS.c.rowid, snippet).where(
                _FTS_NAME.match(fts5_query(query)), _FTS.c.rowid.in_(chunk)
            )
        else:
            version = m.ArticleVersion
            options = (
                f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords={SNIPPET_WORDS}, '
                'MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'
            )
            document = func.coalesce(version.title, "").op("||")("\n").op("||")(version.text)
            headline = func.ts_headline(_config(), document, tsquery(query), options)
            stmt = select(version.id, headline).where(version.id.in_(chunk))
        found.update({id_: text for id_, text in conn.execute(stmt)})
    return found


def _marked_texts(
    conn: Connection, query: Node, ids: Sequence[int]
) -> Iterable[tuple[int, str | None, str]]:
    """(id, title, text) of matching versions, every match in both marked."""
    if not ids:
        return []
    if conn.dialect.name == "sqlite":
        stmt = select(
            _FTS.c.rowid,
            func.highlight(_FTS_NAME, 0, MARK_START, MARK_END),
            func.highlight(_FTS_NAME, 1, MARK_START, MARK_END),
        ).where(_FTS_NAME.match(fts5_query(query)), _FTS.c.rowid.in_(list(ids)))
    else:
        version = m.ArticleVersion
        config = _config()
        options = f'HighlightAll=true, StartSel="{MARK_START}", StopSel="{MARK_END}"'
        tsq = tsquery(query)
        stmt = select(
            version.id,
            func.ts_headline(config, func.coalesce(version.title, ""), tsq, options),
            func.ts_headline(config, version.text, tsq, options),
        ).where(version.id.in_(list(ids)))
    return [(id_, title, text) for id_, title, text in conn.execute(stmt)]
