"""The database schema as typed SQLAlchemy models.

The models describe the tables; Alembic migrations (storage/db/migrations) create them, and a test
keeps the two equal. Writes go through `storage.db.repository` and reads through
`storage.db.queries`, both with Core statements, so the models carry no relationships or behaviour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.db import fts

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so that later migrations can refer to them on every backend."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC.

    SQLite has no time zones and returns naive values; PostgreSQL returns them in the session's
    zone. Both come back as aware UTC datetimes, and naive ones are refused on the way in because
    their zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        date: Date(),
        str: Text(),
        list[str]: JSON(),
        bool: Boolean(),
    }


class Publisher(Base):
    """A site that a story watches, identified by its host:port."""

    __tablename__ = "publishers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    host: Mapped[str] = mapped_column(unique=True)
    url: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    definition: Mapped[str | None]
    """The story file's TOML text as last crawled, so that re-extraction can judge relevance
    again without the file. None for a story recorded before this column existed."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StorySource(Base):
    """A publisher a story watches: one of the sources in its story file, found anything or not."""

    __tablename__ = "story_sources"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    publisher_id: Mapped[int] = mapped_column(ForeignKey("publishers.id"), primary_key=True)


class Url(Base):
    """One normalised URL. An alias (redirect source, tracking variant, page whose rel=canonical
    names another URL) points at the URL its content is filed under."""

    __tablename__ = "urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url_hash: Mapped[bytes] = mapped_column(unique=True)
    """SHA-256 of `url` (32 bytes, see `storage.db.urls.url_hash`): the URL's identity. URLs have
    no length limit, but a PostgreSQL btree entry must fit in a third of a page (~2.7 kB), so the
    unique index is on this and `url` is not indexed."""
    url: Mapped[str]
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"), index=True)
    canonical_id: Mapped[int | None] = mapped_column(
        ForeignKey("urls.id", ondelete="SET NULL"), index=True
    )
    first_seen: Mapped[datetime]
    discovered_via: Mapped[str | None] = mapped_column(String(16))


class UrlForm(Base):
    """A published form of a URL: how a feed, sitemap, link or archived record spelled it
    (tracking parameters, parameter order…) when that differs from the normalised URL. Recorded
    as an alias of the URL (`url_id`); a revisit requests the form last seen."""

    __tablename__ = "url_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_hash: Mapped[bytes] = mapped_column(unique=True)
    """SHA-256 of `form` (as `Url.url_hash`)."""
    form: Mapped[str]
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id", ondelete="CASCADE"), index=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class Capture(Base):
    """One archived response (any status, any type) and where its record sits in the WARC files.

    A revisit record holds no body: the row points at its own record (`warc_record_id`) and at the
    record that holds the body (`refers_to`, and `revisit_of_id` when that capture is stored).
    """

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_id_fetched_at", "url_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"))
    fetched_at: Mapped[datetime]
    status: Mapped[int]
    content_type: Mapped[str | None]
    location: Mapped[str | None]
    warc_filename: Mapped[str]
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    warc_record_id: Mapped[str] = mapped_column(String(100), unique=True)
    request_record_id: Mapped[str | None] = mapped_column(String(100))
    payload_digest: Mapped[str] = mapped_column(String(100))
    record_type: Mapped[str] = mapped_column(String(16))
    """'response', or 'revisit' for a record without a body."""
    revisit_profile: Mapped[str | None] = mapped_column(String(32))
    refers_to: Mapped[str | None] = mapped_column(String(100))
    """For a revisit, `WARC-Record-ID` of the record that holds the body (kept even when that
    record's capture is not in this database)."""
    revisit_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("captures.id", ondelete="SET NULL"), index=True
    )
    """The capture of `refers_to`, resolved when the revisit is written."""
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    """`ETag` and `Last-Modified` validators, for the next conditional request."""
    flags: Mapped[str | None] = mapped_column(String(200))
    """What is wrong with the record as archived, a sorted comma-separated list of
    `crawler.core.capture.FLAGS` ('digest-mismatch,truncated'); None for a sound record."""
    declared_length: Mapped[int | None] = mapped_column(BigInteger)
    """For a record cut short, the block length it declares (`warc_length` is what is there)."""
    via: Mapped[str | None] = mapped_column(String(64))
    """The web archive the exchange was copied from by `newsarchive backfill` (its name in the
    story file); None for our own fetches. `fetched_at` is then the archive's capture time."""
    noarchive: Mapped[bool] = mapped_column(server_default=false())
    """The page asked not to be archived and the story's `[archive] noarchive` policy is `flag`:
    archived, and left out of WACZ packages, the report and exports unless asked for."""
    rights: Mapped[str | None]
    """Where the page asked not to be archived ('X-Robots-Tag: noarchive; meta robots: none'),
    whatever the policy; None when it did not (or its page was not read)."""


class ArticleVersion(Base):
    """A distinct text of an article. A capture with the same text only moves `last_seen`."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("url_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"))
    version: Mapped[int]
    title: Mapped[str | None]
    authors: Mapped[list[str]]
    published: Mapped[date | None]
    """The day of publication as the page states it (in the page's own time zone)."""
    modified: Mapped[date | None]
    language: Mapped[str | None]
    site_name: Mapped[str | None]
    description: Mapped[str | None]
    text: Mapped[str]
    text_sha256: Mapped[str] = mapped_column(String(64))
    word_count: Mapped[int]
    capture_id: Mapped[int | None] = mapped_column(
        ForeignKey("captures.id", ondelete="SET NULL"), index=True
    )
    """None when the page was stored without an archived response (WARC writing turned off)."""
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    extractor: Mapped[str]
    change_kinds: Mapped[list[str] | None]
    """How this version differs from the one before it (`crawler.core.versioning.KINDS`);
    None for an article's first version (and versions stored before edit kinds were told)."""
    stealth: Mapped[bool | None]
    """A substantive change or removal with no correction or update notice; None as above."""
    published_time: Mapped[str | None] = mapped_column(String(40))
    """The moment of publication as ISO 8601 with the offset the page gave
    ('2025-02-04T09:15:00-05:00'), when it states a time; None when it states only the day.
    Text, because a timestamp column keeps the instant but not the page's offset."""
    modified_time: Mapped[str | None] = mapped_column(String(40))
    """As `published_time`, for `modified`."""
    language_source: Mapped[str | None] = mapped_column(String(16))
    """'declared' (the page says its language), 'detected' (from its text), or None."""


class Extraction(Base):
    """What one extractor, with one set of options, made of one capture: the version holding its
    text, or why it is no article. Written by the crawl for each page it stores and by
    `newsarchive reextract`, so a capture extracted again with the same extractor and options is
    known and skipped."""

    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("capture_id", "extractor", "options_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id", ondelete="CASCADE"))
    extractor: Mapped[str]
    """As `article_versions.extractor`: 'newsarchive 0.2.0 / trafilatura 2.3.1'."""
    options_digest: Mapped[str] = mapped_column(String(64))
    """`ExtractOptions.digest`; 'unknown' for rows made from versions stored before this table."""
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), index=True
    )
    """The article version with the text extracted; None when the page is not an article."""
    reason: Mapped[str | None]
    """Why the page is not an article ('too-short: …', 'error: …', 'walled: paywall'); None for
    an article."""
    extracted_at: Mapped[datetime]
    access: Mapped[str | None] = mapped_column(String(16))
    """What the capture showed (`crawler.core.access.ACCESS`): 'open', or the wall in the
    article's place. A walled capture makes no version. None for rows stored before access was
    told."""
    access_reason: Mapped[str | None]
    """The evidence of the access ('challenge: cf-mitigated: challenge'), None when there is
    none."""


class StoryArticle(Base):
    """How an article relates to a story, as judged on its latest version."""

    __tablename__ = "story_articles"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), primary_key=True, index=True)
    relevant: Mapped[bool]
    relevance_score: Mapped[float]
    matched_terms: Mapped[list[str]]
    reason: Mapped[str]
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleSchedule(Base):
    """When an article is fetched again, and whether it is gone: one row per article URL, written
    with each batch that fetched the article (see `crawler.core.revisit.RevisitPolicy`)."""

    __tablename__ = "article_schedule"

    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), primary_key=True)
    fetch_url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)
    """The URL to revisit: the one that served the latest version, so known to serve the page.
    Indexed because a page fetched from it counts as a fetch of the article."""
    first_seen: Mapped[datetime]
    last_fetched: Mapped[datetime]
    unchanged_count: Mapped[int]
    """Fetches in a row that found the text unchanged; 0 after a new version."""
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    """None once the policy stops revisiting, or when the article is gone."""
    gone_at: Mapped[datetime | None]
    gone_status: Mapped[int | None]
    """When a revisit was answered 404 or 410, and which: the article is deleted."""


class ArticleSignature(Base):
    """An article's MinHash signature and its syndication cluster (docs/clusters.md), computed
    from one version of its text."""

    __tablename__ = "article_signatures"

    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id"))
    """The version the signature was computed from: stale once a newer version is stored."""
    params: Mapped[str] = mapped_column(String(100))
    """`ClusterOptions.params` of the computation: signatures made otherwise are stale."""
    signature: Mapped[bytes]
    """`num_perm` little-endian uint32 MinHash values; empty for a text without words."""
    cluster_id: Mapped[int] = mapped_column(index=True)
    """The smallest `url_id` of the article's cluster (its own when it is alone)."""
    is_original: Mapped[bool]
    """Whether it is the cluster's earliest published article (ties: first captured)."""
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleBand(Base):
    """One LSH band key of an article's signature: articles sharing a key are candidate copies, so
    a new article finds its candidates by an index look-up instead of a scan of all signatures."""

    __tablename__ = "article_bands"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    url_id: Mapped[int] = mapped_column(
        ForeignKey("article_signatures.url_id", ondelete="CASCADE"), primary_key=True, index=True
    )


class WarcFile(Base):
    """A WARC file that captures point into, and the data directory it belongs to.

    `name` is what `captures.warc_filename` holds (a bare name inside the data directory's
    warc/ directory, or the absolute path of a file ingested where it lies); `data_dir` is the
    id of the data directory that wrote or ingested it (`crawler.core.datadir.data_dir_id`), ''
    for files registered before data directories had ids (migration 0010). `verify --data DIR`
    checks and repairs only the files of DIR; a crawl reconciles, before it writes, every closed
    file of its data directory that is not `settled`.
    """

    __tablename__ = "warc_files"
    __table_args__ = (UniqueConstraint("data_dir", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    data_dir: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(index=True)
    settled: Mapped[bool]
    """Every record of the file that is a capture has its capture row, as far as its writer
    knows: the crawl that wrote it closed with none of its captures lost, or recovery (or
    `verify --repair`) reconciled the database with it since."""
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class PageRequisites(Base):
    """The requisites a page's body loads, found when a crawl read it: so that a later crawl
    that gets the same bytes again knows them without reading the body (docs/crawling.md).

    Keyed by the `WARC-Record-ID` of the response record holding the body (a revisit of it
    refers to that record). `urls` are the normalised URLs of the page's own requisites (not
    those its stylesheets load), one a line, '' for a page that loads none; a page no crawl read
    for requisites has no row. Whether they were archived is not stored: a crawl compares them
    with the requisite captures it finds at its start (`storage.db.frontier.pages_with_requisites`).
    """

    __tablename__ = "page_requisites"

    record_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    urls: Mapped[str] = mapped_column(Text)


class CrawlRun(Base):
    """One crawl of a story: when it ran, where, how it ended, and its final stats."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    """None while the crawl runs, or when it died without closing."""
    finish_reason: Mapped[str | None] = mapped_column(String(64))
    """Scrapy's close reason: 'finished', 'shutdown', 'closespider_timeout'…"""
    host: Mapped[str]
    pid: Mapped[int]
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The crawl's stats as they were when it closed."""


class UrlOutcome(Base):
    """What became of one URL in one crawl run (see `crawler.core.outcomes`): the primary key
    makes it exactly one outcome per URL and run."""

    __tablename__ = "url_outcomes"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    url_hash: Mapped[bytes] = mapped_column(primary_key=True)
    """SHA-256 of `url`, as `urls.url_hash`."""
    url: Mapped[str]
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"), index=True)
    """The publisher whose crawl met the URL (None when it is not one of the story's)."""
    outcome: Mapped[str] = mapped_column(String(16))
    """'stored', 'archived', 'redirected', 'skipped' or 'failed'."""
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None]
    at: Mapped[datetime]


# The full-text search index over `article_versions` is DDL, not a model (storage/db/fts.py):
# `create_all` makes it as migration 0007_search does, and Alembic comparisons leave it out.
for _dialect in ("sqlite", "postgresql"):
    for _statement in fts.create_statements(_dialect):
        event.listen(
            Base.metadata,
            "after_create",
            DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
        )
