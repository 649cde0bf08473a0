"""The `urls` table within a batch write: URL identity, new rows, and aliases.

A URL is identified by the SHA-256 of its normalised form rather than by its text, which can be
any length: every lookup and upsert goes through `url_hash`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, case, func, or_, select, update

from crawler.core.capture import Capture
from crawler.core.urls import PublishedForm, host_of, normalise_url, published_form
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.records import PageRecord


def url_hash(url: str) -> bytes:
    """The identity of a normalised URL: its SHA-256 digest, 32 bytes."""
    return hashlib.sha256(url.encode()).digest()


@dataclass(slots=True)
class UrlRow:
    """What a batch knows about one URL."""

    first_seen: datetime
    host: str
    discovered_via: str | None


def url_rows(
    captures: Sequence[Capture],
    pages: Sequence[PageRecord],
    forms: Sequence[PublishedForm] = (),
) -> dict[str, UrlRow]:
    """Every normalised URL of the batch with what the batch knows about it. A page's publisher
    wins over a guess from the host (a redirect may leave the publisher's host)."""
    rows: dict[str, UrlRow] = {}

    def add(url: str, seen: datetime, host: str, via: str | None, *, authoritative: bool) -> None:
        row = rows.get(url)
        if row is None:
            rows[url] = UrlRow(seen, host, via)
            return
        row.first_seen = min(row.first_seen, seen)
        row.discovered_via = row.discovered_via or via
        if authoritative:
            row.host = host

    for capture in captures:
        url = normalise_url(capture.url)
        add(url, capture.fetched_at, host_of(url), None, authoritative=False)
    for form in forms:
        add(form.identity, form.seen_at, host_of(form.identity), None, authoritative=False)
    for page in pages:
        urls = {normalise_url(u) for u in (page.url, page.final_url, *page.aliases)}
        for url in sorted(urls | {page.target_url}):
            add(url, page.fetched_at, page.publisher_host, page.discovered_via, authoritative=True)
    return rows


def published_forms(
    captures: Sequence[Capture], forms: Sequence[PublishedForm] = ()
) -> list[PublishedForm]:
    """The published forms of a batch: those discovery met (`forms`) and the target URIs of its
    captures that are not normalised, whichever door archived them."""
    found = (published_form(capture.url, capture.fetched_at) for capture in captures)
    return [*forms, *(form for form in found if form is not None)]


def record_forms(
    conn: Connection, forms: Sequence[PublishedForm], url_ids: Mapping[str, int]
) -> None:
    """Record each published form as an alias of its URL (`url_ids` holds every identity),
    or move its `last_seen` on."""
    seen: dict[bytes, tuple[PublishedForm, datetime, datetime]] = {}
    for form in forms:
        digest = url_hash(form.form)
        earlier = seen.get(digest)
        first, last = (form.seen_at, form.seen_at) if earlier is None else earlier[1:]
        seen[digest] = (form, min(first, form.seen_at), max(last, form.seen_at))
    values = [
        {
            "form_hash": digest,
            "form": form.form,
            "url_id": url_ids[form.identity],
            "first_seen": first,
            "last_seen": last,
        }
        for digest, (form, first, last) in sorted(seen.items())  # one order: no deadlocks
    ]
    if values:
        stmt = dialect_insert(conn, m.UrlForm)
        new = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[m.UrlForm.form_hash],
                set_={
                    "last_seen": case(
                        (new.last_seen > m.UrlForm.last_seen, new.last_seen),
                        else_=m.UrlForm.last_seen,
                    )
                },
            ),
            values,  # executemany: compiled once, batched by SQLAlchemy
        )


def upsert_urls(conn: Connection, rows: Mapping[str, UrlRow]) -> dict[str, int]:
    """Insert the URLs not stored yet and return the ids of all of them, by URL. An existing row
    only gains a publisher or a discovery path it lacked."""
    hosts = sorted({row.host for row in rows.values()})
    publishers = {
        host: id_
        for chunk in chunks(hosts)
        for host, id_ in conn.execute(
            select(m.Publisher.host, m.Publisher.id).where(m.Publisher.host.in_(chunk))
        )
    }
    by_hash = {url_hash(url): url for url in rows}
    values = [
        {
            "url_hash": digest,
            "url": url,
            "publisher_id": publishers.get(rows[url].host),
            "first_seen": rows[url].first_seen,
            "discovered_via": rows[url].discovered_via,
        }
        for digest, url in by_hash.items()
    ]
    _lock_existing(conn, sorted(by_hash))
    if values:
        stmt = dialect_insert(conn, m.Url)
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[m.Url.url_hash],
            set_={
                "publisher_id": func.coalesce(m.Url.publisher_id, new.publisher_id),
                "discovered_via": func.coalesce(m.Url.discovered_via, new.discovered_via),
            },
            where=or_(
                and_(m.Url.publisher_id.is_(None), new.publisher_id.is_not(None)),
                and_(m.Url.discovered_via.is_(None), new.discovered_via.is_not(None)),
            ),
        )
        conn.execute(stmt, values)  # executemany: compiled once, batched by SQLAlchemy
    digests = list(by_hash)
    return {
        by_hash[digest]: id_
        for chunk in chunks(digests)
        for digest, id_ in conn.execute(
            select(m.Url.url_hash, m.Url.id).where(m.Url.url_hash.in_(chunk))
        )
    }


def _lock_existing(conn: Connection, digests: Sequence[bytes]) -> None:
    """On PostgreSQL, lock the stored rows of these URLs in hash order, until the transaction
    ends. The upsert locks every row it meets anyway (ON CONFLICT DO UPDATE does, whether it
    updates or not), but in the batch's order: two batches meeting the same URLs in different
    orders would deadlock. Locked here first, the rows are met in one order by every batch, and
    the batch's articles are its own until it commits (see `storage.db.repository`)."""
    if conn.dialect.name != "postgresql":
        return
    for chunk in chunks(digests):
        conn.execute(
            select(m.Url.id)
            .where(m.Url.url_hash.in_(chunk))
            .order_by(m.Url.url_hash)
            .with_for_update(key_share=True)
        )


def point_aliases(
    conn: Connection, pages: Sequence[PageRecord], url_ids: Mapping[str, int]
) -> None:
    """Point each page's requested URL, final URL and redirect chain at the URL the page is filed
    under, which itself becomes canonical. The latest page to name a URL decides."""
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
