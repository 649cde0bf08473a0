"""The revisit schedule within a batch write: when each known article is to be fetched again.

Every fetch of an article in a batch (a page, or a revisit that brought no page) moves its
schedule on. The rows of the batch's articles are read once, moved on in memory in the order of
the fetches, and written back with one executemany upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, select

from crawler.core.revisit import RevisitPolicy
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert

FetchOutcome = Literal["new", "same", "gone", "walled"]


@dataclass(frozen=True, slots=True)
class Fetch:
    """One fetch of an article, as its schedule counts it."""

    url_id: int
    """The article: the URL its versions are filed under."""
    fetched_at: datetime
    outcome: FetchOutcome
    """'new': the text made a new version; 'same': the article was there but brought no new text
    (same text hash, a revisit record, or a page without an article); 'gone': 404 or 410;
    'walled': a wall in the article's place (paywall, consent, login, challenge): counted as a
    fetch that found nothing new, so the article keeps its schedule and backs off, and never as
    a deletion."""
    fetch_url_id: int | None = None
    """For 'new': the URL that served the version, revisited from now on."""
    status: int | None = None
    """For 'gone': the status that said so."""


def update_schedule(conn: Connection, fetches: Sequence[Fetch], policy: RevisitPolicy) -> None:
    """Move on the schedule of each fetched article; a new version starts one for a new article.

    A fetch older than the last one counted is ignored: the schedule follows the newest fetch. A
    fetch that found the article again after it was gone brings it back.
    """
    schedule = m.ArticleSchedule
    ids = sorted({f.url_id for f in fetches})
    rows: dict[int, dict[str, Any]] = {
        row.url_id: dict(row._mapping)
        for chunk in chunks(ids)
        for row in conn.execute(select(schedule).where(schedule.url_id.in_(chunk)))
    }
    touched: set[int] = set()
    for fetch in sorted(fetches, key=lambda f: f.fetched_at):
        row = rows.get(fetch.url_id)
        if row is None:
            if fetch.fetch_url_id is None:
                continue  # only a version starts a schedule: not an article
            row = rows[fetch.url_id] = _new_row(fetch, fetch.fetch_url_id)
        elif fetch.fetched_at < row["last_fetched"]:
            continue
        touched.add(fetch.url_id)
        row["last_fetched"] = fetch.fetched_at
        if fetch.outcome == "gone":
            row.update(gone_at=fetch.fetched_at, gone_status=fetch.status, next_due_at=None)
            continue
        row.update(gone_at=None, gone_status=None)
        if fetch.outcome == "new":
            row.update(unchanged_count=0, fetch_url_id=fetch.fetch_url_id)
        else:
            row["unchanged_count"] += 1
        row["next_due_at"] = policy.next_due(
            fetched_at=fetch.fetched_at,
            first_seen=row["first_seen"],
            unchanged=row["unchanged_count"],
        )
    if not touched:
        return
    stmt = dialect_insert(conn, schedule)
    stmt = stmt.on_conflict_do_update(
        index_elements=[schedule.url_id],
        set_={
            column: stmt.excluded[column]
            for column in (
                "fetch_url_id",
                "last_fetched",
                "unchanged_count",
                "next_due_at",
                "gone_at",
                "gone_status",
            )
        },
    )
    conn.execute(stmt, [rows[url_id] for url_id in sorted(touched)])  # batched by SQLAlchemy


def _new_row(fetch: Fetch, fetch_url_id: int) -> dict[str, Any]:
    return {
        "url_id": fetch.url_id,
        "fetch_url_id": fetch_url_id,
        "first_seen": fetch.fetched_at,
        "last_fetched": fetch.fetched_at,
        "unchanged_count": 0,
        "next_due_at": None,
        "gone_at": None,
        "gone_status": None,
    }
