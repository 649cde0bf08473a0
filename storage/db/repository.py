"""The write side of the database: a story's set-up and the crawl's batches.

Writes come in batches from the store pipeline and use multi-row Core statements with each
dialect's upsert (`storage.db.bulk`), so a batch costs a handful of round trips whatever its size.
Reads are in `storage.db.queries` and, for the crawl's start, `storage.db.frontier`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, Engine, delete, func, or_, select

from crawler.core.capture import Capture
from crawler.core.outcomes import UrlOutcome
from crawler.core.revisit import RevisitPolicy
from crawler.core.story import Source, Story
from crawler.core.urls import PublishedForm, normalise_url
from crawler.core.versioning import Decide
from storage.db import models as m
from storage.db.bulk import check_dialect, chunks, dialect_insert
from storage.db.captures import insert_captures
from storage.db.engine import write_transaction
from storage.db.models import utcnow
from storage.db.records import BatchResult, PageRecord, RevisitRecord
from storage.db.reextract import JudgingStory, ReextractCounts, Reextracted, store_reextracted
from storage.db.runs import insert_outcomes
from storage.db.schedule import Fetch, update_schedule
from storage.db.urls import (
    point_aliases,
    published_forms,
    record_forms,
    upsert_urls,
    url_hash,
    url_rows,
)
from storage.db.versions import store_versions, upsert_story_links
from storage.db.warcfiles import register

DEFAULT_POLICY = RevisitPolicy()
"""The schedule of a batch written without a story's policy (a story file's default too)."""


class Repository:
    """The database as the crawl writes it: SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        check_dialect(engine.dialect.name)
        self.engine = engine

    def ensure_story(self, story: Story) -> int:
        """The id of the story, which is recorded with its publishers and the links between them,
        all brought up to date in one transaction. A source dropped from the story file stops
        being one of the story's publishers; the articles found through it stay."""

        def write(conn: Connection) -> int:
            story_id = _upsert_story(conn, story)
            publisher_ids = list(_upsert_publishers(conn, story.sources).values())
            if publisher_ids:
                links = dialect_insert(conn, m.StorySource).values(
                    [{"story_id": story_id, "publisher_id": id_} for id_ in publisher_ids]
                )
                conn.execute(
                    links.on_conflict_do_nothing(
                        index_elements=[m.StorySource.story_id, m.StorySource.publisher_id]
                    )
                )
            conn.execute(
                delete(m.StorySource).where(
                    m.StorySource.story_id == story_id,
                    m.StorySource.publisher_id.not_in(publisher_ids),
                )
            )
            return story_id

        return write_transaction(self.engine, write)

    def ensure_publishers(self, sites: Mapping[str, str]) -> None:
        """Record a publisher for each host:port in `sites` (mapped to its home URL) that has
        none yet, named after its host: pages found in WARC files from other crawls belong to
        no story file. Existing publishers keep their names."""
        if not sites:
            return
        rows = [{"name": host, "host": host, "url": url} for host, url in sorted(sites.items())]

        def write(conn: Connection) -> None:
            for chunk in chunks(rows):
                conn.execute(
                    dialect_insert(conn, m.Publisher)
                    .values(chunk)
                    .on_conflict_do_nothing(index_elements=[m.Publisher.host])
                )

        write_transaction(self.engine, write)

    def write_batch(
        self,
        captures: Sequence[Capture],
        pages: Sequence[PageRecord],
        story_id: int | None,
        *,
        revisits: Sequence[RevisitRecord] = (),
        policy: RevisitPolicy = DEFAULT_POLICY,
        outcomes: Sequence[UrlOutcome] = (),
        run_id: int | None = None,
        forms: Sequence[PublishedForm] = (),
        decide: Decide | None = None,
        data_dir: str | None = None,
    ) -> BatchResult:
        """Store captures, pages, revisits and the URL outcomes of crawl run `run_id` in one
        transaction: all of the batch, or on error none of it. The published forms discovery met
        (`forms`) and those the captures' target URIs are become aliases of their URLs
        (`url_forms`).

        Captures go first, so a page finds the capture of its response in the same batch. Each
        article page adds a version when its text differs from the article's current one, and
        with a story and a relevance judgement, updates the article's link to the story; each
        extracted page records its extraction of its capture. Every fetch of
        a known article, page or revisit, moves its revisit schedule on by `policy`. With
        `data_dir` (a data directory's id), the files the captures point into are registered as
        that data directory's (`storage.db.warcfiles`).

        `decide` judges each article page against the article's last open version: whether it
        is a wall (then no version, no deletion), and whether, and how, it is a new version
        (`crawler.services.versions.decider(story)`, which every door passes; without it, a wall
        is no version and any other new text is one).
        """

        def write(conn: Connection) -> BatchResult:
            if data_dir is not None and captures:
                register(conn, data_dir, {c.warc_filename for c in captures}, settled=False)
            published = published_forms(captures, forms)
            url_ids = upsert_urls(conn, url_rows(captures, pages, published))
            inserted, duplicates = insert_captures(conn, captures, url_ids)
            record_forms(conn, published, url_ids)
            point_aliases(conn, pages, url_ids)
            revisited = _revisited_articles(conn, revisits)
            refetched = _refetches(conn, pages, url_ids)
            articles = {url_ids[page.target_url] for page in pages if page.article is not None}
            _lock_articles(
                conn,
                articles
                | {url_id for url_id, _ in revisited}
                | {fetch.url_id for fetch in refetched},
            )
            seen_again = [(url_id, r.fetched_at) for url_id, r in revisited if r.outcome != "gone"]
            written = store_versions(conn, pages, url_ids, seen_again, decide)
            counted = {f.url_id for f in written.fetches}
            fetches = [
                *written.fetches,
                *(fetch for fetch in refetched if fetch.url_id not in counted),
                *(
                    Fetch(url_id, r.fetched_at, "gone", status=r.status)
                    if r.outcome == "gone"
                    else Fetch(url_id, r.fetched_at, "same")
                    for url_id, r in revisited
                ),
            ]
            update_schedule(conn, fetches, policy)
            links = 0
            if story_id is not None:
                links = upsert_story_links(conn, story_id, written.judged)
            settled = 0
            if outcomes:
                if run_id is None:
                    raise ValueError("URL outcomes need the crawl run they belong to")
                settled = insert_outcomes(conn, run_id, outcomes)
            return BatchResult(
                captures=inserted,
                duplicate_captures=duplicates,
                pages=len(pages),
                new_versions=written.new,
                unchanged_versions=written.unchanged,
                story_links=links,
                revisits_unchanged=len(seen_again),
                revisits_gone=len(revisited) - len(seen_again),
                outcomes=settled,
                walled=written.walled,
                article_ids=tuple(sorted(articles)),
            )

        return write_transaction(self.engine, write)

    def write_reextracted(
        self,
        results: Sequence[Reextracted],
        stories: Sequence[JudgingStory] = (),
        decide: Decide | None = None,
    ) -> ReextractCounts:
        """Store a batch of re-extracted captures (whole articles, see `storage.db.reextract`) in
        one transaction, and judge their articles again for `stories`. `decide` settles
        suspected walls and gives new versions their edit kinds (as in `write_batch`)."""
        return write_transaction(
            self.engine, lambda conn: store_reextracted(conn, results, stories, decide)
        )


def _upsert_story(conn: Connection, story: Story) -> int:
    """The id of the story row, created or its title and definition brought up to date (a story
    built in code, without a definition, leaves the stored one)."""
    stmt = dialect_insert(conn, m.Story).values(
        name=story.name, title=story.title, definition=story.definition
    )
    definition = func.coalesce(stmt.excluded.definition, m.Story.definition)
    stmt = stmt.on_conflict_do_update(
        index_elements=[m.Story.name],
        set_={"title": stmt.excluded.title, "definition": definition, "updated_at": utcnow()},
        where=or_(
            m.Story.title != stmt.excluded.title,
            m.Story.definition.is_distinct_from(definition),
        ),
    )
    conn.execute(stmt)
    return conn.execute(select(m.Story.id).where(m.Story.name == story.name)).scalar_one()


def _upsert_publishers(conn: Connection, sources: Iterable[Source]) -> dict[str, int]:
    """Publisher ids by host:port, rows created or their name and URL brought up to date."""
    rows = {s.host: {"name": s.name, "host": s.host, "url": s.url} for s in sources}
    if not rows:
        return {}
    stmt = dialect_insert(conn, m.Publisher).values(list(rows.values()))
    stmt = stmt.on_conflict_do_update(
        index_elements=[m.Publisher.host],
        set_={"name": stmt.excluded.name, "url": stmt.excluded.url},
        where=or_(m.Publisher.name != stmt.excluded.name, m.Publisher.url != stmt.excluded.url),
    )
    conn.execute(stmt)
    found = conn.execute(select(m.Publisher.host, m.Publisher.id).where(m.Publisher.host.in_(rows)))
    return {host: id_ for host, id_ in found}


def _revisited_articles(
    conn: Connection, revisits: Sequence[RevisitRecord]
) -> list[tuple[int, RevisitRecord]]:
    """Each revisit with the scheduled article of its URL: the URL it points at, or itself.
    Revisits of a URL that leads to no scheduled article are dropped."""
    digests = {r.url: url_hash(normalise_url(r.url)) for r in revisits}
    url, schedule = m.Url, m.ArticleSchedule
    found = {
        digest: id_
        for chunk in chunks(sorted(set(digests.values())))
        for digest, id_ in conn.execute(
            select(url.url_hash, schedule.url_id)
            .join(schedule, schedule.url_id == func.coalesce(url.canonical_id, url.id))
            .where(url.url_hash.in_(chunk))
        )
    }
    return [(found[digests[r.url]], r) for r in revisits if digests[r.url] in found]


def _refetches(
    conn: Connection, pages: Sequence[PageRecord], url_ids: Mapping[str, int]
) -> list[Fetch]:
    """A page requested from an article's fetch URL is a fetch of that article even when it brought
    no article, or one filed under another URL: otherwise the article would stay due for ever.
    (The caller drops those of articles whose page the batch holds: they count already.)"""
    requested = {url_ids[normalise_url(p.url)]: p.fetched_at for p in pages}
    schedule = m.ArticleSchedule
    return [
        Fetch(article_id, requested[fetch_url_id], "same")
        for chunk in chunks(sorted(requested))
        for fetch_url_id, article_id in conn.execute(
            select(schedule.fetch_url_id, schedule.url_id).where(schedule.fetch_url_id.in_(chunk))
        )
    ]


def _lock_articles(conn: Connection, url_ids: set[int]) -> None:
    """Lock the URL rows of the batch's articles, in id order, until the transaction ends.

    An article's versions and schedule are read, worked out in memory and written back, so two
    batches writing one article at once must take turns: on PostgreSQL (READ COMMITTED) the
    second one waits here and then reads what the first one committed. The URL rows of the
    batch are locked already by `upsert_urls` (in URL hash order; a URL it inserts is the
    batch's own until it commits); this adds the articles reached only through a revisit or a
    fetch URL.
    Taking the locks in one order keeps deadlocks rare, and one that PostgreSQL breaks is tried
    again by `write_transaction`. On SQLite the write transaction holds the whole database
    already (BEGIN IMMEDIATE).
    """
    if conn.dialect.name != "postgresql" or not url_ids:
        return
    for chunk in chunks(sorted(url_ids)):
        conn.execute(
            select(m.Url.id)
            .where(m.Url.id.in_(chunk))
            .order_by(m.Url.id)
            .with_for_update(key_share=True)
        )
