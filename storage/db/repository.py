"""The write side of the database: a story's set-up and the crawl's batches.

Writes come in batches from the store pipeline and use multi-row Core statements with each
dialect's upsert (`storage.db.bulk`), so a batch costs a handful of round trips whatever its size.
Reads are in `storage.db.queries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, Engine, delete, or_, select

from crawler.capture import Capture
from crawler.story import Source, Story
from crawler.urls import normalise_url
from storage.db import models as m
from storage.db.bulk import check_dialect, chunks, dialect_insert
from storage.db.models import utcnow
from storage.db.records import BatchResult, PageRecord
from storage.db.urls import point_aliases, upsert_urls, url_rows
from storage.db.versions import store_versions, upsert_story_links


class Repository:
    """The database as the crawl writes it: SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        check_dialect(engine.dialect.name)
        self.engine = engine

    def ensure_story(self, story: Story) -> int:
        """The id of the story, which is recorded with its publishers and the links between them,
        all brought up to date in one transaction. A source dropped from the story file stops
        being one of the story's publishers; the articles found through it stay."""
        with self.engine.begin() as conn:
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

    def write_batch(
        self, captures: Sequence[Capture], pages: Sequence[PageRecord], story_id: int | None
    ) -> BatchResult:
        """Store captures and pages in one transaction: all of the batch, or on error none of it.

        Captures go first, so a page finds the capture of its response in the same batch. Each
        article page adds a version when its text differs from the latest stored one, and with a
        story and a relevance judgement, updates the article's link to the story.
        """
        with self.engine.begin() as conn:
            url_ids = upsert_urls(conn, url_rows(captures, pages))
            inserted, duplicates = _insert_captures(conn, captures, url_ids)
            point_aliases(conn, pages, url_ids)
            articles = [
                (page, page.extraction.article, page.extraction.extractor)
                for page in pages
                if page.extraction is not None and page.extraction.article is not None
            ]
            new, unchanged, judged = store_versions(conn, articles, url_ids)
            links = 0
            if story_id is not None:
                links = upsert_story_links(conn, story_id, judged)
        return BatchResult(
            captures=inserted,
            duplicate_captures=duplicates,
            pages=len(pages),
            new_versions=new,
            unchanged_versions=unchanged,
            story_links=links,
        )


def _upsert_story(conn: Connection, story: Story) -> int:
    """The id of the story row, created or its title brought up to date."""
    stmt = dialect_insert(conn, m.Story).values(name=story.name, title=story.title)
    stmt = stmt.on_conflict_do_update(
        index_elements=[m.Story.name],
        set_={"title": stmt.excluded.title, "updated_at": utcnow()},
        where=m.Story.title != stmt.excluded.title,
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


def _insert_captures(
    conn: Connection, captures: Sequence[Capture], url_ids: Mapping[str, int]
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
    for chunk in chunks(list(rows.values())):
        stmt = (
            dialect_insert(conn, m.Capture)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=[m.Capture.warc_record_id])
            .returning(m.Capture.id)
        )
        inserted += len(conn.execute(stmt).all())
    return inserted, len(captures) - inserted
