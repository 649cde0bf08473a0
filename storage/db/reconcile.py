"""Reconciling the database with WARC files, the database side: which records have captures,
which captures point where, moving and removing capture rows (`crawler.services.recover` decides
what to do)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from crawler.core.urls import normalise_url
from storage.db import models as m
from storage.db.bulk import chunks
from storage.db.engine import write_transaction
from storage.db.models import utcnow
from storage.db.urls import url_hash

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Suspect:
    """A capture row that points at no record of its own (as `verify` found)."""

    capture_id: int
    record_id: str
    filename: str
    offset: int


def drop_captures(engine: Engine, capture_ids: Sequence[int]) -> int:
    """Remove capture rows whose record is not in the archive.

    Their article versions keep their text but lose the capture (`capture_id` is set to NULL by
    the foreign key, as are revisits' `revisit_of_id`), and their articles are due for a revisit
    at once, so that the next crawl archives them again."""
    now = utcnow()

    def write(conn: Connection) -> None:
        for chunk in chunks(sorted(set(capture_ids))):
            articles = select(m.ArticleVersion.url_id).where(m.ArticleVersion.capture_id.in_(chunk))
            conn.execute(
                update(m.ArticleSchedule)
                .where(m.ArticleSchedule.url_id.in_(articles), m.ArticleSchedule.gone_at.is_(None))
                .values(next_due_at=now)
            )
            conn.execute(delete(m.Capture).where(m.Capture.id.in_(chunk)))

    write_transaction(engine, write)
    for capture_id in capture_ids:
        logger.warning("Removed capture %d: its WARC record is not in the archive", capture_id)
    return len(capture_ids)


def _stored_captures(
    conn: Connection, record_ids: Sequence[str]
) -> dict[str, tuple[int, str, int, int]]:
    c = m.Capture
    return {
        record_id: (id_, filename, offset, length)
        for chunk in chunks(record_ids)
        for id_, record_id, filename, offset, length in conn.execute(
            select(c.id, c.warc_record_id, c.warc_filename, c.warc_offset, c.warc_length).where(
                c.warc_record_id.in_(chunk)
            )
        )
    }


def _undiscovered(conn: Connection, urls: Sequence[str]) -> set[str]:
    """The (normalised) URLs among `urls` that no stored page names: their capture is stored
    but their page was lost."""
    hashes = {url_hash(normalise_url(u)): normalise_url(u) for u in urls}
    return {
        hashes[digest]
        for chunk in chunks(list(hashes))
        for digest in conn.execute(
            select(m.Url.url_hash).where(m.Url.url_hash.in_(chunk), m.Url.discovered_via.is_(None))
        ).scalars()
    }


def capture_rows_in_file(engine: Engine, name: str) -> list[tuple[int, int, str]]:
    """(capture id, offset, record id) of every capture row that names the WARC file `name`."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Capture.id, m.Capture.warc_offset, m.Capture.warc_record_id).where(
                m.Capture.warc_filename == name
            )
        )
        return [(capture_id, offset, record_id) for capture_id, offset, record_id in rows]


def stored_captures(
    engine: Engine, record_ids: Sequence[str], page_urls: Sequence[str]
) -> tuple[dict[str, tuple[int, str, int, int]], set[str]]:
    """The stored captures of `record_ids` ({record id: (id, file, offset, length)}), and those
    of `page_urls` (normalised) that no stored page names: their capture is stored but their
    page was lost."""
    with engine.connect() as conn:
        stored = _stored_captures(conn, record_ids)
        return stored, _undiscovered(conn, [u for u in page_urls])


def repoint_captures(engine: Engine, moves: Sequence[tuple[int, str, int, int]]) -> None:
    """Move capture rows (id, file, offset, length) to where their record is."""
    repoint = (
        update(m.Capture)
        .where(m.Capture.id == bindparam("b_id"))
        .values(
            warc_filename=bindparam("b_file"),
            warc_offset=bindparam("b_offset"),
            warc_length=bindparam("b_length"),
        )
    )
    params = [
        {"b_id": id_, "b_file": name, "b_offset": offset, "b_length": length}
        for id_, name, offset, length in moves
    ]
    write_transaction(engine, lambda conn: conn.execute(repoint, params))
