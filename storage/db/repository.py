"""Everything newsarchive reads from and writes to its database; no other module touches SQL.

Writes come in batches from the store pipeline and use multi-row Core statements with each
dialect's upsert, so a batch costs a handful of round trips whatever its size. SQLite and
PostgreSQL are supported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    distinct,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from crawler.capture import Capture
from crawler.extraction.article import Article, Extraction, Relevance
from crawler.story import Source, Story
from crawler.urls import host_of, normalise_url
from storage.db import models as m
from storage.db.models import utcnow

T = TypeVar("T")
Insert = sqlite.Insert | postgresql.Insert
ExportRow = dict[str, Any]

CHUNK_ROWS = 500
"""Rows (or IN-list values) per statement, well inside both databases' bound-parameter limits."""
STREAM_ROWS = 500
"""Rows fetched at a time when streaming an export."""

_INSERTS: Mapping[str, Callable[[Any], Insert]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


class UnknownStory(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no story named {name!r} in the database")


@dataclass(frozen=True, slots=True)
class PageRecord:
    """A fetched HTML page as the store pipeline hands it over (from a `PageItem`)."""

    url: str
    """The URL requested."""
    final_url: str
    """The URL the body came from, after redirects."""
    aliases: tuple[str, ...]
    """Other URLs that led to the page: the redirect chain."""
    publisher_host: str
    """host:port of the publisher the page was crawled for."""
    warc_record_id: str | None
    """The response record of the page; None when nothing was archived."""
    discovered_via: str
    fetched_at: datetime
    extraction: Extraction | None
    """None when the page went through no extraction: then it only records its URLs."""
    relevance: Relevance | None

    @property
    def article(self) -> Article | None:
        return self.extraction.article if self.extraction is not None else None

    @property
    def target_url(self) -> str:
        """The normalised URL the page is filed under: its rel=canonical when that stays on the
        host that served it (a canonical elsewhere could hijack another site's article), else the
        final URL."""
        final = normalise_url(self.final_url)
        if self.article is not None and self.article.canonical_url:
            canonical = normalise_url(self.article.canonical_url)
            if host_of(canonical) == host_of(final):
                return canonical
        return final


@dataclass(frozen=True, slots=True)
class BatchResult:
    captures: int
    """Captures inserted."""
    duplicate_captures: int
    """Captures already stored (same WARC record ID), skipped."""
    pages: int
    new_versions: int
    unchanged_versions: int
    """Article pages whose text equals their latest version: only `last_seen` moved."""
    story_links: int


@dataclass(frozen=True, slots=True)
class Counts:
    captures: int = 0
    articles: int = 0
    """Article URLs with at least one version (in the story, if one was asked for)."""
    relevant: int = 0
    warc_files: int = 0
    warc_bytes: int = 0
    """Size on disk of the WARC files holding these captures (a file shared with other
    publishers counts in each row, once in the total)."""
    warc_missing: int = 0
    """WARC files named by captures but absent from the WARC directory."""


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


@dataclass(frozen=True, slots=True)
class _Version:
    """The latest version of an article while a batch is being written."""

    number: int
    text_sha256: str
    id: int | None
    """None while the version is only a row waiting to be inserted."""


@dataclass(slots=True)
class _UrlRow:
    first_seen: datetime
    host: str
    discovered_via: str | None


class Repository:
    """The database as the crawler, the pipelines and the CLI use it."""

    def __init__(self, engine: Engine) -> None:
        try:
            self._insert = _INSERTS[engine.dialect.name]
        except KeyError:
            raise ValueError(
                f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL"
            ) from None
        self.engine = engine

    # --- set-up ----------------------------------------------------------------------------------

    def ensure_story(self, story: Story) -> int:
        """The id of the story row, created or its title brought up to date."""
        stmt = self._insert(m.Story).values(name=story.name, title=story.title)
        stmt = stmt.on_conflict_do_update(
            index_elements=[m.Story.name],
            set_={"title": stmt.excluded.title, "updated_at": utcnow()},
            where=m.Story.title != stmt.excluded.title,
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
            return conn.execute(select(m.Story.id).where(m.Story.name == story.name)).scalar_one()

    def ensure_publishers(self, sources: Iterable[Source]) -> dict[str, int]:
        """Publisher ids by host:port, rows created or their name and URL brought up to date."""
        rows = {s.host: {"name": s.name, "host": s.host, "url": s.url} for s in sources}
        if not rows:
            return {}
        stmt = self._insert(m.Publisher).values(list(rows.values()))
        stmt = stmt.on_conflict_do_update(
            index_elements=[m.Publisher.host],
            set_={"name": stmt.excluded.name, "url": stmt.excluded.url},
            where=or_(
                m.Publisher.name != stmt.excluded.name, m.Publisher.url != stmt.excluded.url
            ),
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
            found = conn.execute(
                select(m.Publisher.host, m.Publisher.id).where(m.Publisher.host.in_(rows))
            )
            return {host: id_ for host, id_ in found}

    # --- the crawl's writes ----------------------------------------------------------------------

    def write_batch(
        self, captures: Sequence[Capture], pages: Sequence[PageRecord], story_id: int | None
    ) -> BatchResult:
        """Store captures and pages in one transaction: all of the batch, or on error none of it.

        Captures go first, so a page finds the capture of its response in the same batch. Each
        article page adds a version when its text differs from the latest stored one, and with a
        story and a relevance judgement, updates the article's link to the story.
        """
        with self.engine.begin() as conn:
            url_ids = self._upsert_urls(conn, _url_rows(captures, pages))
            inserted, duplicates = self._insert_captures(conn, captures, url_ids)
            self._point_aliases(conn, pages, url_ids)
            articles = [
                (page, page.extraction.article, page.extraction.extractor)
                for page in pages
                if page.extraction is not None and page.extraction.article is not None
            ]
            new, unchanged, judged = self._store_versions(conn, articles, url_ids)
            links = 0
            if story_id is not None:
                links = self._upsert_story_links(conn, story_id, judged)
        return BatchResult(
            captures=inserted,
            duplicate_captures=duplicates,
            pages=len(pages),
            new_versions=new,
            unchanged_versions=unchanged,
            story_links=links,
        )

    def _upsert_urls(self, conn: Connection, rows: dict[str, _UrlRow]) -> dict[str, int]:
        """Insert the URLs not stored yet and return the ids of all of them. An existing row only
        gains a publisher or a discovery path it lacked."""
        hosts = sorted({row.host for row in rows.values()})
        publishers = {
            host: id_
            for chunk in _chunks(hosts)
            for host, id_ in conn.execute(
                select(m.Publisher.host, m.Publisher.id).where(m.Publisher.host.in_(chunk))
            )
        }
        values = [
            {
                "url": url,
                "publisher_id": publishers.get(row.host),
                "first_seen": row.first_seen,
                "discovered_via": row.discovered_via,
            }
            for url, row in rows.items()
        ]
        for chunk in _chunks(values):
            stmt = self._insert(m.Url).values(chunk)
            new = stmt.excluded
            stmt = stmt.on_conflict_do_update(
                index_elements=[m.Url.url],
                set_={
                    "publisher_id": func.coalesce(m.Url.publisher_id, new.publisher_id),
                    "discovered_via": func.coalesce(m.Url.discovered_via, new.discovered_via),
                },
                where=or_(
                    and_(m.Url.publisher_id.is_(None), new.publisher_id.is_not(None)),
                    and_(m.Url.discovered_via.is_(None), new.discovered_via.is_not(None)),
                ),
            )
            conn.execute(stmt)
        urls = list(rows)
        return {
            url: id_
            for chunk in _chunks(urls)
            for url, id_ in conn.execute(select(m.Url.url, m.Url.id).where(m.Url.url.in_(chunk)))
        }

    def _insert_captures(
        self, conn: Connection, captures: Sequence[Capture], url_ids: Mapping[str, int]
    ) -> tuple[int, int]:
        """Insert captures, skipping records already stored. Returns (inserted, skipped)."""
        rows = {
            c.warc_record_id: {
                "url_id": url_ids[normalise_url(c.url)],
                "fetched_at": c.fetched_at,
                "status": c.status,
                "content_type": c.content_type,
                "location": c.location,
                "warc_filename": c.warc_filename,
                "warc_offset": c.warc_offset,
                "warc_length": c.warc_length,
                "warc_record_id": c.warc_record_id,
                "request_record_id": c.request_record_id,
                "payload_digest": c.payload_digest,
            }
            for c in captures
        }
        inserted = 0
        for chunk in _chunks(list(rows.values())):
            stmt = (
                self._insert(m.Capture)
                .values(chunk)
                .on_conflict_do_nothing(index_elements=[m.Capture.warc_record_id])
                .returning(m.Capture.id)
            )
            inserted += len(conn.execute(stmt).all())
        return inserted, len(captures) - inserted

    def _point_aliases(
        self, conn: Connection, pages: Sequence[PageRecord], url_ids: Mapping[str, int]
    ) -> None:
        """Point each page's requested URL, final URL and redirect chain at the URL the page is
        filed under, which itself becomes canonical. The latest page to name a URL decides."""
        canonical: dict[int, int | None] = {}
        for page in pages:
            target = page.target_url
            target_id = url_ids[target]
            for alias in {normalise_url(u) for u in (page.url, page.final_url, *page.aliases)}:
                if alias != target:
                    canonical[url_ids[alias]] = target_id
            canonical[target_id] = None
        if not canonical:
            return
        stmt = (
            update(m.Url)
            .where(
                m.Url.id == bindparam("b_id"),
                m.Url.canonical_id.is_distinct_from(bindparam("b_canonical")),
            )
            .values(canonical_id=bindparam("b_canonical"))
        )
        conn.execute(stmt, [{"b_id": k, "b_canonical": v} for k, v in canonical.items()])

    def _store_versions(
        self,
        conn: Connection,
        articles: Sequence[tuple[PageRecord, Article, str]],
        url_ids: Mapping[str, int],
    ) -> tuple[int, int, dict[int, tuple[Relevance, int]]]:
        """Add a version for each (page, article, extractor) whose text is new, move `last_seen`
        for the rest. Returns (new versions, unchanged, {article url id: (relevance, version id)}).
        """
        if not articles:
            return 0, 0, {}
        pages = [page for page, _, _ in articles]
        record_ids = sorted({p.warc_record_id for p in pages if p.warc_record_id is not None})
        capture_ids = {
            record_id: id_
            for chunk in _chunks(record_ids)
            for record_id, id_ in conn.execute(
                select(m.Capture.warc_record_id, m.Capture.id).where(
                    m.Capture.warc_record_id.in_(chunk)
                )
            )
        }
        latest = self._latest_versions(conn, sorted({url_ids[p.target_url] for p in pages}))
        version_ids = {(url_id, v.number): v.id for url_id, v in latest.items() if v.id}
        pending: dict[tuple[int, int], dict[str, Any]] = {}
        last_seen: dict[int, datetime] = {}
        judged: dict[int, tuple[Relevance, tuple[int, int]]] = {}
        unchanged = 0
        for page, article, extractor in articles:
            url_id = url_ids[page.target_url]
            current = latest.get(url_id)
            if current is not None and current.text_sha256 == article.text_sha256:
                unchanged += 1
                if current.id is None:
                    row = pending[(url_id, current.number)]
                    row["last_seen"] = max(row["last_seen"], page.fetched_at)
                else:
                    last_seen[current.id] = max(
                        last_seen.get(current.id, page.fetched_at), page.fetched_at
                    )
            else:
                number = current.number + 1 if current is not None else 1
                capture_id = capture_ids.get(page.warc_record_id) if page.warc_record_id else None
                pending[(url_id, number)] = _version_row(
                    url_id, number, article, extractor, capture_id, page.fetched_at
                )
                current = latest[url_id] = _Version(number, article.text_sha256, None)
            if page.relevance is not None:
                judged[url_id] = (page.relevance, (url_id, current.number))

        for chunk in _chunks(list(pending.values())):
            stmt = (
                self._insert(m.ArticleVersion)
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
        links = {
            url_id: (relevance, version_ids[key]) for url_id, (relevance, key) in judged.items()
        }
        return len(pending), unchanged, links

    def _latest_versions(self, conn: Connection, url_ids: Sequence[int]) -> dict[int, _Version]:
        """The latest stored version of each article, for the whole batch at once."""
        latest: dict[int, _Version] = {}
        version = m.ArticleVersion
        for chunk in _chunks(url_ids):
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

    def _upsert_story_links(
        self, conn: Connection, story_id: int, judged: Mapping[int, tuple[Relevance, int]]
    ) -> int:
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
        for chunk in _chunks(values):
            stmt = self._insert(m.StoryArticle).values(chunk)
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

    # --- reading ---------------------------------------------------------------------------------

    def status(self, story: str | None = None, *, warc_dir: Path) -> StatusReport:
        """Counts per publisher and in total, in one read transaction.

        With `story`, only publishers with articles in that story are listed, and articles and
        relevant counts are the story's; captures and WARC files belong to no story and are the
        publisher's. Sizes are read from `warc_dir` (a file still being written, `NAME.open`,
        counts as present).
        """
        with self.engine.connect() as conn:
            story_id = self._story_id(conn, story) if story is not None else None
            captures = _by_publisher(
                conn.execute(
                    select(m.Url.publisher_id, func.count(m.Capture.id))
                    .join(m.Url, m.Url.id == m.Capture.url_id)
                    .group_by(m.Url.publisher_id)
                )
            )
            files: dict[int | None, set[str]] = defaultdict(set)
            for publisher_id, filename in conn.execute(
                select(m.Url.publisher_id, m.Capture.warc_filename)
                .join(m.Url, m.Url.id == m.Capture.url_id)
                .distinct()
            ):
                files[publisher_id].add(filename)
            version, link = m.ArticleVersion, m.StoryArticle
            articles_query = select(m.Url.publisher_id, func.count(distinct(version.url_id))).join(
                m.Url, m.Url.id == version.url_id
            )
            relevant_query = (
                select(m.Url.publisher_id, func.count(distinct(link.url_id)))
                .join(m.Url, m.Url.id == link.url_id)
                .where(link.relevant.is_(True))
            )
            if story_id is not None:
                articles_query = articles_query.join(
                    link, and_(link.url_id == version.url_id, link.story_id == story_id)
                )
                relevant_query = relevant_query.where(link.story_id == story_id)
            articles = _by_publisher(conn.execute(articles_query.group_by(m.Url.publisher_id)))
            relevant = _by_publisher(conn.execute(relevant_query.group_by(m.Url.publisher_id)))
            publishers: list[tuple[int | None, str, str | None]] = [
                (id_, name, host)
                for id_, name, host in conn.execute(
                    select(m.Publisher.id, m.Publisher.name, m.Publisher.host).order_by(
                        m.Publisher.name, m.Publisher.host
                    )
                )
            ]
        publishers.append((None, "(no publisher)", None))

        sizes: dict[str, int | None] = {}
        for names in files.values():
            for name in names:
                if name not in sizes:
                    sizes[name] = _file_size(warc_dir, name)
        rows: list[PublisherStatus] = []
        shown_files: set[str] = set()
        for id_, name, host in publishers:
            if story_id is not None and not articles.get(id_):
                continue
            if id_ is None and not (captures.get(None) or articles.get(None)):
                continue
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
                        warc_bytes=sum(sizes[f] or 0 for f in held),
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
        return StatusReport(story, tuple(rows), total, missing)

    def iter_articles(
        self, story: str | None = None, relevant_only: bool = False
    ) -> Iterator[ExportRow]:
        """The latest version of each article with its capture and story judgement, streamed.

        An article linked to several stories comes once per story; without `story` and
        `relevant_only`, articles linked to no story come once with the story fields None.
        Dates and times are ISO 8601 strings (times in UTC). An unknown `story` raises
        `UnknownStory` here, before anything is streamed.
        """
        version, link, capture = m.ArticleVersion, m.StoryArticle, m.Capture
        newest = (
            select(version.url_id, func.max(version.version).label("number"))
            .group_by(version.url_id)
            .subquery()
        )
        stmt = (
            select(
                m.Url.url,
                m.Publisher.name.label("publisher"),
                version.title,
                version.authors,
                version.published,
                version.modified,
                version.language,
                version.site_name,
                version.text,
                version.word_count,
                version.version,
                version.text_sha256,
                version.extractor,
                version.first_seen,
                version.last_seen,
                capture.fetched_at.label("captured_at"),
                capture.warc_filename,
                capture.warc_offset,
                capture.warc_record_id,
                m.Story.name.label("story"),
                link.relevant,
                link.relevance_score,
                link.matched_terms,
            )
            .select_from(version)
            .join(
                newest, and_(version.url_id == newest.c.url_id, version.version == newest.c.number)
            )
            .join(m.Url, m.Url.id == version.url_id)
            .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
            .outerjoin(capture, capture.id == version.capture_id)
            .order_by(version.url_id, m.Story.name)
        )
        story_id = None
        if story is not None:
            with self.engine.connect() as conn:
                story_id = self._story_id(conn, story)
        link_on = link.url_id == version.url_id
        if story_id is not None:
            link_on = and_(link_on, link.story_id == story_id)
        if story_id is not None or relevant_only:
            stmt = stmt.join(link, link_on)
        else:
            stmt = stmt.outerjoin(link, link_on)
        stmt = stmt.outerjoin(m.Story, m.Story.id == link.story_id)
        if relevant_only:
            stmt = stmt.where(link.relevant.is_(True))
        return self._stream(stmt)

    def _stream(self, stmt: Select[*tuple[Any, ...]]) -> Iterator[ExportRow]:
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=STREAM_ROWS).execute(stmt):
                yield {
                    "url": row.url,
                    "publisher": row.publisher,
                    "title": row.title,
                    "authors": row.authors,
                    "published": _iso(row.published),
                    "modified": _iso(row.modified),
                    "language": row.language,
                    "site_name": row.site_name,
                    "text": row.text,
                    "word_count": row.word_count,
                    "version": row.version,
                    "text_sha256": row.text_sha256,
                    "extractor": row.extractor,
                    "first_seen": _iso(row.first_seen),
                    "last_seen": _iso(row.last_seen),
                    "captured_at": _iso(row.captured_at),
                    "warc_filename": row.warc_filename,
                    "warc_offset": row.warc_offset,
                    "warc_record_id": row.warc_record_id,
                    "story": row.story,
                    "relevant": row.relevant,
                    "relevance_score": row.relevance_score,
                    "matched_terms": row.matched_terms,
                }

    def _story_id(self, conn: Connection, name: str) -> int:
        found = conn.execute(select(m.Story.id).where(m.Story.name == name)).scalar_one_or_none()
        if found is None:
            raise UnknownStory(name)
        return found


def _url_rows(captures: Sequence[Capture], pages: Sequence[PageRecord]) -> dict[str, _UrlRow]:
    """Every normalised URL of the batch with what the batch knows about it. A page's publisher
    wins over a guess from the host (a redirect may leave the publisher's host)."""
    rows: dict[str, _UrlRow] = {}

    def add(url: str, seen: datetime, host: str, via: str | None, *, authoritative: bool) -> None:
        row = rows.get(url)
        if row is None:
            rows[url] = _UrlRow(seen, host, via)
            return
        row.first_seen = min(row.first_seen, seen)
        row.discovered_via = row.discovered_via or via
        if authoritative:
            row.host = host

    for capture in captures:
        url = normalise_url(capture.url)
        add(url, capture.fetched_at, host_of(url), None, authoritative=False)
    for page in pages:
        urls = {normalise_url(u) for u in (page.url, page.final_url, *page.aliases)}
        for url in sorted(urls | {page.target_url}):
            add(
                url, page.fetched_at, page.publisher_host, page.discovered_via, authoritative=True
            )
    return rows


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


def _by_publisher(rows: Iterable[Any]) -> dict[int | None, int]:
    return {publisher_id: count for publisher_id, count in rows}


def _file_size(warc_dir: Path, name: str) -> int | None:
    for candidate in (warc_dir / name, warc_dir / f"{name}.open"):
        try:
            return candidate.stat().st_size
        except FileNotFoundError:
            continue
    return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _chunks(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
