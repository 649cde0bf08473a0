"""Opening the database: one engine per process, its schema brought to the latest migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one (a crawl and an export, say) to finish."""


class DatabaseNotFound(LookupError):
    """There is no newsarchive database at the URL (and we were asked not to create one)."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"no newsarchive database at {url}")


def open_database(url: str, *, create: bool = True) -> Engine:
    """An engine for `url` whose schema is at the latest migration.

    With `create=False` a database that does not exist yet, or that has never been migrated, raises
    `DatabaseNotFound` instead of being created: read-only commands must not leave empty files.
    """
    sa_url = make_url(url)
    shown = sa_url.render_as_string(hide_password=True)
    path = _sqlite_path(sa_url)
    if path is not None:
        if not create and not path.exists():
            raise DatabaseNotFound(shown)
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(sa_url)
    try:
        if not create and not inspect(engine).has_table("alembic_version"):
            raise DatabaseNotFound(shown)
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def make_engine(url: str | URL) -> Engine:
    """An engine configured for newsarchive (SQLite pragmas and transactions), not migrated."""
    engine = create_engine(url, pool_pre_ping=make_url(url).get_backend_name() != "sqlite")
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks, in one transaction (DDL is transactional on both
    SQLite and PostgreSQL, so a failed upgrade leaves the schema as it was)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration without an ini file: env.py migrates through `connection`."""
    config = Config(attributes={"connection": connection})
    # ConfigParser interpolates '%', which may occur in an install path.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other backends and in-memory databases."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") == "true" or url.database.startswith("file:"):
        return None
    return Path(url.database)


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Per-connection SQLite settings (SQLAlchemy's documented recipes).

    WAL lets readers (status, export) work while a crawl writes; foreign keys are off by default in
    SQLite; the busy timeout makes a second writer wait instead of failing. Setting
    `isolation_level = None` stops the sqlite3 module from managing transactions itself, which it
    does without BEGIN for DDL and SELECT; `_sqlite_begin` emits BEGIN instead.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")
