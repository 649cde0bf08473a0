"""The write side of crawl runs and their URL outcomes.

A run's row is written by the outcomes extension when the crawl opens and closes; outcomes go into
the store pipeline's batches during the crawl (one writer, as SQLite wants) and are written by the
extension itself at the close. Either way they are inserted in bulk with ON CONFLICT DO NOTHING
on (run, URL): the first outcome of a URL in a run is the one kept, by the database as by
`crawler.core.outcomes.OutcomeBook`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from crawler.core.outcomes import UrlOutcome
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.engine import write_transaction
from storage.db.urls import url_hash

REASON_LENGTH = 64
"""`url_outcomes.reason` and `crawl_runs.finish_reason` are cut to this many characters."""


def start_run(engine: Engine, story_id: int, started_at: datetime, host: str, pid: int) -> int:
    """The id of a new run of the story."""
    stmt = (
        insert(m.CrawlRun)
        .values(story_id=story_id, started_at=started_at, host=host, pid=pid)
        .returning(m.CrawlRun.id)
    )
    return write_transaction(engine, lambda conn: conn.execute(stmt).scalar_one())


def finish_run(
    engine: Engine, run_id: int, finished_at: datetime, reason: str, stats: Mapping[str, Any]
) -> None:
    """Record how and when the run ended, with its stats (made JSON-safe here)."""
    stmt = (
        update(m.CrawlRun)
        .where(m.CrawlRun.id == run_id)
        .values(
            finished_at=finished_at, finish_reason=reason[:REASON_LENGTH], stats=json_stats(stats)
        )
    )
    write_transaction(engine, lambda conn: conn.execute(stmt))


def insert_outcomes(conn: Connection, run_id: int, outcomes: Sequence[UrlOutcome]) -> int:
    """Store outcomes of the run; returns how many were new (a URL that has an outcome in the
    run already keeps it). The publisher of each is looked up by its source's host:port."""
    if not outcomes:
        return 0
    hosts = sorted({o.source for o in outcomes if o.source})
    publishers = {
        host: id_
        for chunk in chunks(hosts)
        for host, id_ in conn.execute(
            select(m.Publisher.host, m.Publisher.id).where(m.Publisher.host.in_(chunk))
        )
    }
    rows = [
        {
            "run_id": run_id,
            "url_hash": url_hash(o.url),
            "url": o.url,
            "publisher_id": publishers.get(o.source) if o.source else None,
            "outcome": o.outcome,
            "reason": o.reason[:REASON_LENGTH],
            "detail": o.detail,
            "at": o.at,
        }
        for o in outcomes
    ]
    if not rows:
        return 0
    stmt = dialect_insert(conn, m.UrlOutcome).on_conflict_do_nothing(
        index_elements=[m.UrlOutcome.run_id, m.UrlOutcome.url_hash]
    )
    # executemany (compiled once, batched by SQLAlchemy); RETURNING yields the rows inserted:
    # rowcount is not reliable for a batched insert
    return len(conn.execute(stmt.returning(m.UrlOutcome.run_id), rows).all())


def json_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Scrapy's stats with the values JSON cannot hold (start_time…) as ISO 8601 or text."""
    safe: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):
            safe[key] = value.isoformat()
        elif value is None or isinstance(value, bool | int | float | str):
            safe[key] = value
        else:
            safe[key] = str(value)
    return safe
