"""Opening a database: migrations, and the schema they build equal to the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, make_url, select
from sqlalchemy.exc import IntegrityError, StatementError

from storage.db import models as m
from storage.db.engine import DatabaseNotFound, alembic_config, open_database
from storage.db.urls import url_hash

from .factories import T0

X = "http://x.example/"


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert compare_metadata(context, m.Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
        assert head is not None
        assert context.get_current_revision() == head
    assert set(inspect(engine).get_table_names()) == {*m.Base.metadata.tables, "alembic_version"}


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
