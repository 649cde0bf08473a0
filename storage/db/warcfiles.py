"""Which data directory each WARC file belongs to, and whether the database has caught up with it
(the `warc_files` table; see `storage.db.models.WarcFile`).

A crawl registers each file its captures point into, in the transaction that writes them, as
not settled; when it closes with none of a file's captures lost it settles the file. A crawl's
start reconciles the closed files of its data directory that are not settled (a crash, a disk
full, a kill during recovery), then settles them. `verify --data DIR` checks and repairs only the
captures of DIR's files.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.engine import write_transaction
from storage.db.models import utcnow

LEGACY = ""
"""The data directory of files registered before data directories had ids (migration 0010)."""


def register(conn: Connection, data_dir: str, names: Iterable[str], *, settled: bool) -> None:
    """Record that the files `names` belong to `data_dir`; a file already registered there keeps
    its state unless `settled` (which settles it)."""
    now = utcnow()
    rows = [
        {"data_dir": data_dir, "name": name, "settled": settled, "registered_at": now}
        for name in sorted(set(names))
    ]
    for chunk in chunks(rows):
        stmt = dialect_insert(conn, m.WarcFile).values(list(chunk))
        keys = [m.WarcFile.data_dir, m.WarcFile.name]
        if settled:
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=keys,
                    set_={"settled": True},
                    where=m.WarcFile.settled.is_(False),
                )
            )
        else:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=keys))


def settle(engine: Engine, data_dir: str, names: Collection[str]) -> None:
    """Mark the files `names` of `data_dir` as caught up with (registering them if need be)."""
    if names:
        write_transaction(engine, lambda conn: register(conn, data_dir, names, settled=True))


def settled_names(engine: Engine, data_dir: str) -> set[str]:
    """The files settled for `data_dir`, with those settled before data directories had ids."""
    f = m.WarcFile
    query = select(f.name).where(f.data_dir.in_([data_dir, LEGACY]), f.settled.is_(True))
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


@dataclass
class Owners:
    """Who each registered file belongs to."""

    data_dir: str
    mine: set[str] = field(default_factory=set)
    """Files registered to this data directory."""
    others: set[str] = field(default_factory=set)
    """Files registered to other data directories only (legacy rows aside)."""

    def whose(self, name: str) -> str:
        """'mine', 'others' or 'unknown' (registered to no data directory with an id)."""
        if name in self.mine:
            return "mine"
        if name in self.others:
            return "others"
        return "unknown"


def owners(engine: Engine, data_dir: str) -> Owners:
    """Every registered file, as this data directory sees it."""
    f = m.WarcFile
    found = Owners(data_dir)
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=1000).execute(
            select(f.name, f.data_dir).where(f.data_dir != LEGACY)
        )
        for name, owner in rows:
            (found.mine if owner == data_dir else found.others).add(name)
    found.others -= found.mine
    return found


def capture_files(engine: Engine) -> set[str]:
    """Every file that capture rows point into."""
    with engine.connect() as conn:
        return set(conn.execute(select(m.Capture.warc_filename).distinct()).scalars())
