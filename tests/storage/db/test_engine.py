"""Opening a database: migrations, the schema they build equal to the models, and refusing a
schema at another revision than this newsarchive's."""

from __future__ import annotations

import re
import shlex
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, insert, inspect, make_url, select
from sqlalchemy.exc import IntegrityError, StatementError

from storage.db import models as m
from storage.db.engine import (
    DatabaseNotFound,
    SchemaMismatch,
    _sqlite_wal,
    alembic_config,
    make_engine,
    open_database,
    schema_state,
    shipped_heads,
    upgrade_database,
)
from storage.db.fts import include_name
from storage.db.repository import Repository
from storage.db.urls import url_hash

from .factories import STORY, T0, capture, page
from .migrations import LATER, released_base, released_head, use_later_migrations

X = "http://x.example/"


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, m.Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
        assert head is not None
        assert context.get_current_revision() == head
    tables = {t for t in inspect(engine).get_table_names() if include_name(t, "table", {})}
    assert tables == {*m.Base.metadata.tables, "alembic_version"}


def test_opening_again_is_harmless(db_url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(m.Story).values(name="s", title="S"))
    again = open_database(db_url)
    try:
        with again.connect() as conn:
            assert conn.execute(select(m.Story.name)).scalars().all() == ["s"]
    finally:
        again.dispose()


def test_create_false_refuses_a_missing_database(db_url: str) -> None:
    with pytest.raises(DatabaseNotFound):
        open_database(db_url, create=False)
    database = make_url(db_url).database
    if make_url(db_url).get_backend_name() == "sqlite":
        assert database is not None
        assert not Path(database).exists()
    open_database(db_url).dispose()
    open_database(db_url, create=False).dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(m.Url).values(url_hash=url_hash(X), url=X, publisher_id=999, first_seen=T0)
        )


def test_sqlite_file_gets_its_directory_and_a_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "newsarchive.db"
    engine = open_database(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(insert(m.Story).values(name="s", title="S"))
        assert path.exists()
        assert path.with_name("newsarchive.db-wal").exists()
    finally:
        engine.dispose()


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), engine.begin() as conn:
        conn.execute(
            insert(m.Url).values(url_hash=url_hash(X), url=X, first_seen=T0.replace(tzinfo=None))
        )


def migrate_to(db_url: str, revision: str) -> None:
    """Bring a database to `revision` as an older newsarchive would have made it."""
    old = make_engine(db_url)
    try:
        with old.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        old.dispose()


def test_an_outdated_database_is_refused_until_upgraded(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = released_base()
    migrate_to(db_url, first)
    use_later_migrations(tmp_path, monkeypatch)
    shown = make_url(db_url).render_as_string(hide_password=True)
    for create in (True, False):
        with pytest.raises(SchemaMismatch) as refused:
            open_database(db_url, create=create)
        assert str(refused.value) == (
            f"database at revision {first}, this newsarchive needs {LATER}: "
            f"run `newsarchive db upgrade --db {shlex.quote(shown)}`"
        )
    probe = make_engine(db_url)
    try:
        assert schema_state(probe).current == (first,)  # refusing changed nothing
    finally:
        probe.dispose()

    before, after = upgrade_database(db_url)
    assert (before.current, after.current) == ((first,), (LATER,))
    engine = open_database(db_url, create=False)
    try:
        assert inspect(engine).has_table("later_probe")
    finally:
        engine.dispose()


REBUILD_CAPTURES = """\
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("captures", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(sa.Column("later", sa.Boolean(), server_default=sa.false()))
"""


def test_an_upgrade_that_rebuilds_a_table_keeps_the_rows_pointing_at_it(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, rebuilding `captures` (Alembic's move and copy) drops the original table; with
    foreign keys on, that deleted every extraction (ON DELETE CASCADE) and unlinked every
    version (SET NULL). The upgrade runs with them off and checks them before committing."""
    engine = open_database(db_url)
    try:
        repo = Repository(engine)
        story_id = repo.ensure_story(STORY)
        repo.write_batch([capture(X, "r1")], [page(X, "r1")], story_id)
        before = _row_counts(engine)
    finally:
        engine.dispose()
    assert before["extractions"] == 1 and before["linked versions"] == 1
    use_later_migrations(tmp_path, monkeypatch, more=REBUILD_CAPTURES)
    upgrade_database(db_url)
    engine = open_database(db_url, create=False)
    try:
        assert _row_counts(engine) == before
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":  # on again for the connections after the upgrade
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert "later" in {c["name"] for c in inspect(conn).get_columns("captures")}
    finally:
        engine.dispose()


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "captures": conn.execute(select(func.count()).select_from(m.Capture)).scalar_one(),
            "extractions": conn.execute(
                select(func.count()).select_from(m.Extraction)
            ).scalar_one(),
            "linked versions": conn.execute(
                select(func.count())
                .select_from(m.ArticleVersion)
                .where(m.ArticleVersion.capture_id.is_not(None))
            ).scalar_one(),
        }


def test_a_database_ahead_of_this_newsarchive_is_refused(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = released_head()
    use_later_migrations(tmp_path, monkeypatch)
    upgrade_database(db_url)
    monkeypatch.undo()  # back to this newsarchive's migrations
    message = (
        f"database at revision {LATER}, which this newsarchive does not know (it needs "
        f"{released}): the database was upgraded by a newer newsarchive, use that one"
    )
    with pytest.raises(SchemaMismatch, match=re.escape(message)):
        open_database(db_url)
    with pytest.raises(SchemaMismatch, match=re.escape(message)):
        upgrade_database(db_url)


def test_migrations_go_down_and_up_again(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, m.Base.metadata) == []
    assert schema_state(engine).at_head


def _url_with_captures(conn: Connection, files: list[str]) -> None:
    """URL `X` with one response capture in each of `files` (record ids `<urn:uuid:N>`), written
    with the columns every revision since 0001 has."""
    url_id = conn.execute(
        insert(m.Url).values(url_hash=url_hash(X), url=X, first_seen=T0).returning(m.Url.id)
    ).scalar_one()
    for n, name in enumerate(files):
        conn.execute(
            insert(m.Capture).values(
                url_id=url_id, fetched_at=T0, status=200, warc_filename=name,
                warc_offset=n, warc_length=1, warc_record_id=f"<urn:uuid:{n}>",
                payload_digest="sha1:X", record_type="response",
            )
        )  # fmt: skip


def test_0010_registers_the_files_captures_point_into_to_no_data_directory(db_url: str) -> None:
    """Files that captures named before data directories had ids belong to '' (unknown), and
    are settled: no crawl reconciles them again, and `verify` cannot tell whose they are."""
    migrate_to(db_url, "0007_search")
    old = make_engine(db_url)
    try:
        with old.begin() as conn:
            _url_with_captures(conn, ["a.warc.gz", "a.warc.gz", "/elsewhere/b.warc.gz"])
        with old.begin() as conn:
            command.upgrade(alembic_config(conn), "0010_warc_files")
            rows = conn.execute(
                select(m.WarcFile.data_dir, m.WarcFile.name, m.WarcFile.settled).order_by(
                    m.WarcFile.name
                )
            ).all()
    finally:
        old.dispose()
    assert [tuple(r) for r in rows] == [("", "/elsewhere/b.warc.gz", True), ("", "a.warc.gz", True)]


def test_the_heads_read_from_the_migration_files_are_alembics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crawl tells a database at the latest revision without Alembic, from the revision ids
    the files state: they must be the heads Alembic finds, now and with a later migration."""
    assert shipped_heads() == (released_head(),)
    use_later_migrations(tmp_path, monkeypatch)
    assert shipped_heads() == (LATER,)


class _LockedCursor:
    """A cursor whose first `locked` attempts to switch to WAL fail as SQLite fails them when two
    connections race for the exclusive lock (without calling the busy handler)."""

    def __init__(self, locked: int, error: str = "database is locked") -> None:
        self.locked = locked
        self.error = error
        self.calls = 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.error)


def test_switching_to_wal_waits_out_a_racing_connection() -> None:
    cursor = _LockedCursor(locked=3)
    _sqlite_wal(cursor)
    assert cursor.calls == 4


def test_switching_to_wal_raises_other_errors_at_once() -> None:
    cursor = _LockedCursor(locked=1, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _sqlite_wal(cursor)
    assert cursor.calls == 1


def test_0013_adds_page_requisites_empty_and_keeps_the_captures(db_url: str) -> None:
    """Pages archived before have no row: the next crawl that gets one of them again reads it
    for requisites, as before, and records what it loads."""
    migrate_to(db_url, "0011_stated_metadata")
    old = make_engine(db_url)
    try:
        with old.begin() as conn:
            _url_with_captures(conn, ["a.warc.gz"])
            assert "page_requisites" not in inspect(conn).get_table_names()
            command.upgrade(alembic_config(conn), "0013_page_requisites")
            assert conn.execute(select(m.Capture.warc_record_id)).scalars().all() == [
                "<urn:uuid:0>"
            ]
            assert conn.execute(select(func.count()).select_from(m.PageRequisites)).scalar() == 0
            conn.execute(
                insert(m.PageRequisites).values(record_id="<urn:uuid:0>", urls="", finder=1)
            )
    finally:
        old.dispose()
