"""The `captures` table within a batch write, revisit records linked to the capture of the body.

A revisit's `refers_to` names the record that holds its body. When that capture is stored, or
comes in the same batch, the revisit row also gets its id (`revisit_of_id`), so that reading a
revisit's body is a join and not a search by record ID.

A 304 need not repeat the validators (RFC 9110 §15.4.5): those it omits still hold. A
server-not-modified revisit that lacks one takes it from the URL's newest earlier capture that a
revisit could compare with (a 200 response or a revisit), stored or in the batch, whichever door
stores it: a crawl, recovery or ingest of the same records give the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from crawler.core.capture import Capture
from crawler.core.urls import normalise_url
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert


def insert_captures(
    conn: Connection, captures: Sequence[Capture], url_ids: Mapping[str, int]
) -> tuple[int, int]:
    """Insert captures, skipping records already stored. Returns (inserted, skipped).

    Captures whose body record comes in this batch and is not stored yet are inserted in a second
    statement, once the first has returned the ids of the bodies.
    """
    batch = {c.warc_record_id: c for c in _with_validators(conn, captures, url_ids)}
    refers_to = sorted({c.refers_to for c in batch.values() if c.refers_to is not None})
    record_ids = _capture_ids(conn, refers_to)
    first: list[Capture] = []
    waiting: list[Capture] = []
    for capture in batch.values():
        body_unknown = capture.refers_to in batch and capture.refers_to not in record_ids
        (waiting if body_unknown else first).append(capture)
    # executemany: SQLAlchemy batches the rows into multi-row statements (insertmanyvalues)
    # compiled once, ten times faster than compiling a VALUES list per chunk.
    stmt = (
        dialect_insert(conn, m.Capture)
        .on_conflict_do_nothing(index_elements=[m.Capture.warc_record_id])
        .returning(m.Capture.warc_record_id, m.Capture.id)
    )
    inserted = 0
    for group in (first, waiting):
        if group:
            rows = [_row(c, url_ids, record_ids) for c in group]
            new = {record_id: id_ for record_id, id_ in conn.execute(stmt, rows)}
            record_ids.update(new)
            inserted += len(new)
    return inserted, len(captures) - inserted


def _capture_ids(conn: Connection, record_ids: Sequence[str]) -> dict[str, int]:
    """The ids of the stored captures of these WARC records."""
    return {
        record_id: id_
        for chunk in chunks(record_ids)
        for record_id, id_ in conn.execute(
            select(m.Capture.warc_record_id, m.Capture.id).where(
                m.Capture.warc_record_id.in_(chunk)
            )
        )
    }


def _row(
    capture: Capture, url_ids: Mapping[str, int], record_ids: Mapping[str, int]
) -> dict[str, Any]:
    return {
        "url_id": url_ids[normalise_url(capture.url)],
        "fetched_at": capture.fetched_at,
        "status": capture.status,
        "content_type": capture.content_type,
        "location": capture.location,
        "warc_filename": capture.warc_filename,
        "warc_offset": capture.warc_offset,
        "warc_length": capture.warc_length,
        "warc_record_id": capture.warc_record_id,
        "request_record_id": capture.request_record_id,
        "payload_digest": capture.payload_digest,
        "record_type": capture.record_type,
        "revisit_profile": capture.revisit_profile,
        "refers_to": capture.refers_to,
        "revisit_of_id": record_ids.get(capture.refers_to) if capture.refers_to else None,
        "etag": capture.etag,
        "last_modified": capture.last_modified,
        "flags": ",".join(capture.flags) or None,
        "declared_length": capture.declared_length,
        "via": capture.via,
        "requisites_asked": capture.requisites_asked,
    }


def _comparable(capture: Capture) -> bool:
    """Whether a revisit could have been compared with this capture (the frontier's rule)."""
    return capture.record_type == "revisit" or (
        capture.record_type == "response" and capture.status == 200
    )


def _with_validators(
    conn: Connection, captures: Sequence[Capture], url_ids: Mapping[str, int]
) -> list[Capture]:
    """`captures`, each 304 revisit with the validators it omits taken from the URL's newest
    earlier comparable capture (see the module docstring)."""
    if not any(_needs_validators(c) for c in captures):
        return list(captures)
    c = m.Capture
    done: list[Capture] = []
    for capture in sorted(captures, key=lambda x: x.fetched_at):
        if _needs_validators(capture):
            url_id = url_ids[normalise_url(capture.url)]
            earlier = [
                x
                for x in done
                if x.fetched_at < capture.fetched_at
                and _comparable(x)
                and url_ids[normalise_url(x.url)] == url_id
            ]
            stored = conn.execute(
                select(c.fetched_at, c.etag, c.last_modified)
                .where(
                    c.url_id == url_id,
                    c.fetched_at < capture.fetched_at,
                    or_(
                        c.record_type == "revisit",
                        and_(c.record_type == "response", c.status == 200),
                    ),
                )
                .order_by(c.fetched_at.desc(), c.id.desc())
                .limit(1)
            ).first()
            newest = max(earlier, key=lambda x: x.fetched_at, default=None)
            if stored is not None and (newest is None or stored.fetched_at > newest.fetched_at):
                etag, last_modified = stored.etag, stored.last_modified
            elif newest is not None:
                etag, last_modified = newest.etag, newest.last_modified
            else:
                etag = last_modified = None
            capture = replace(
                capture,
                etag=capture.etag or etag,
                last_modified=capture.last_modified or last_modified,
            )
        done.append(capture)
    return done


def _needs_validators(capture: Capture) -> bool:
    return capture.revisit_profile == "server-not-modified" and (
        capture.etag is None or capture.last_modified is None
    )
