"""Opening the database: one engine per process, its schema checked against the migrations.

A new, empty database is created at the latest migration. An existing one must already be there:
a schema behind the code (or ahead of it, upgraded by a newer newsarchive) is refused with
`SchemaMismatch` until `newsarchive db upgrade` has been run, so that upgrading a database shared
by several crawlers is a deliberate step and never a side effect of starting one of them.
"""

from __future__ import annotations

import ast
import logging
import random
import shlex
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    column,
    create_engine,
    event,
    false,
    func,
    inspect,
    select,
    table,
)
from sqlalchemy import update as update_rows
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")
logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one (a crawl and an export, say) to finish."""
MIGRATION_LOCK = 0x6E657773_61726368  # "newsarch"
"""PostgreSQL advisory lock key held while a schema is created or upgraded, so that crawlers
starting together on an empty database do not all try to create its tables."""
WRITE_ATTEMPTS = 5
"""Tries of a write transaction that PostgreSQL aborted for a conflict with a concurrent one."""
RETRIED_SQLSTATES = frozenset({"40001", "40P01", "23505"})
"""serialization_failure, deadlock_detected, unique_violation: a concurrent writer won a race
that a fresh try of the whole transaction sees the outcome of."""
_WRITE = "newsarchive_write"
"""Execution option marking a connection whose transaction will write (BEGIN IMMEDIATE on
SQLite)."""


class DatabaseUnusable(RuntimeError):
    """The database at a URL cannot be used: the URL does not parse, names a driver that is not
    installed or a directory that does not exist, the server does not answer, the file is not a
    database, or (`check_writable`) it cannot be written. The message is one line."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot use the database {url}: {reason}")


class DatabaseNotFound(LookupError):
    """There is no newsarchive database at the URL (and we were asked not to create one)."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"no newsarchive database at {url}")


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema is, against the migrations this newsarchive ships."""

    current: tuple[str, ...]
    """The database's revisions: () when it has never been migrated."""
    heads: tuple[str, ...]
    """The revisions this newsarchive's models are at."""
    known: bool
    """Whether every revision of the database is one of this newsarchive's migrations."""

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)


class SchemaMismatch(RuntimeError):
    """The database's schema is not at the revision this newsarchive needs: behind it (run
    `newsarchive db upgrade`) or unknown to it (upgraded by a newer newsarchive)."""

    def __init__(self, url: str, state: SchemaState) -> None:
        self.url = url
        self.state = state
        current, needs = ", ".join(state.current), ", ".join(state.heads)
        if state.known:
            message = (
                f"database at revision {current}, this newsarchive needs {needs}: "
                f"run `newsarchive db upgrade --db {shlex.quote(url)}`"
            )
        else:
            message = (
                f"database at revision {current}, which this newsarchive does not know (it "
                f"needs {needs}): the database was upgraded by a newer newsarchive, use that one"
            )
        super().__init__(message)


def open_database(url: str, *, create: bool = True, make_dirs: bool = True) -> Engine:
    """An engine for `url` whose schema is at the latest migration.

    An empty database is created at the latest migration; with `create=False` it raises
    `DatabaseNotFound` instead, as does a SQLite file that does not exist: read-only commands must
    not leave empty files. A SQLite file's directory is made when missing, unless `make_dirs` is
    false (the verbs: a mistyped --db must not leave directories behind). An existing database at
    another revision raises `SchemaMismatch`; one that cannot be used, `DatabaseUnusable`.
    """
    sa_url = parse_url(url)
    shown = sa_url.render_as_string(hide_password=True)
    path = _sqlite_path(sa_url)
    if path is not None:
        if not create and not path.exists():
            raise DatabaseNotFound(shown)
        _sqlite_directory(path, shown, make=make_dirs)
    engine = _engine(sa_url, shown)
    try:
        state = schema_state(engine)
        if not state.current:
            if not create:
                raise DatabaseNotFound(shown)
            state = _create(engine)
        if not state.at_head:
            raise SchemaMismatch(shown, state)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnusable(shown, error_text(exc)) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def parse_url(url: str) -> URL:
    """`url` as a SQLAlchemy URL; `DatabaseUnusable` when it is not one."""
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseUnusable(
            repr(url), "not a database URL (sqlite:///FILE, postgresql+psycopg://USER@HOST/DB)"
        ) from None


def check_writable(engine: Engine) -> None:
    """Raise `DatabaseUnusable` unless the database takes writes: a read-only SQLite file, a
    read-only PostgreSQL session or role fail here, before a crawl starts, rather than at its
    first write. The probe is an UPDATE of no row, rolled back."""
    version = table("alembic_version", column("version_num"))
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin() as transaction:
                conn.execute(
                    update_rows(version).where(false()).values(version_num=version.c.version_num)
                )
                transaction.rollback()
    except DBAPIError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnusable(shown, f"it cannot be written: {error_text(exc)}") from exc


def error_text(exc: DBAPIError) -> str:
    """The driver's message of a database error, on one line (psycopg's have several)."""
    return " ".join(str(exc.orig if exc.orig is not None else exc).split())


def _sqlite_directory(path: Path, shown: str, *, make: bool) -> None:
    """Make sure a SQLite file can be made at `path`: its directory exists (made if `make`)."""
    if path.is_dir():
        raise DatabaseUnusable(shown, f"{path} is a directory")
    if path.parent.is_dir():
        return
    if not make:
        raise DatabaseUnusable(shown, f"no such directory: {path.parent}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnusable(shown, f"cannot make {path.parent}: {exc.strerror}") from exc


def _engine(url: URL, shown: str) -> Engine:
    """`make_engine`, with a dialect or driver that is not installed as `DatabaseUnusable`."""
    try:
        return make_engine(url)
    except NoSuchModuleError:
        raise DatabaseUnusable(shown, f"no database dialect {url.drivername!r}") from None
    except ImportError as exc:
        extra = (
            "; pip install 'newsarchive[postgres]'"
            if url.get_backend_name() == "postgresql"
            else ""
        )
        raise DatabaseUnusable(shown, f"its driver is not installed ({exc}){extra}") from None


def make_engine(url: str | URL) -> Engine:
    """An engine configured for newsarchive (SQLite pragmas and transactions), not migrated."""
    engine = create_engine(url, pool_pre_ping=make_url(url).get_backend_name() != "sqlite")
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def schema_state(engine: Engine) -> SchemaState:
    """The database's revision against this newsarchive's migrations (a read, no lock).

    A database at the latest revision, which every crawl opens, is told so without Alembic (its
    import and the reading of every migration script cost a crawl's start about 0.3 s): from the
    `alembic_version` rows and the revision ids the migration files state (`shipped_heads`)."""
    with engine.connect() as conn:
        current = _version_rows(conn)
        heads = shipped_heads()
        if current is not None and current and set(current) == set(heads):
            return SchemaState(current, heads, True)
        return _state(conn)


def _version_rows(conn: Connection) -> tuple[str, ...] | None:
    """The revisions in `alembic_version`; None when there is no such table."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    version = table("alembic_version", column("version_num"))
    return tuple(conn.execute(select(version.c.version_num)).scalars())


def shipped_heads() -> tuple[str, ...]:
    """The heads of the migrations this newsarchive ships (revisions no other revises), read
    from the `revision` and `down_revision` assignments of the files in `versions/` without
    importing them; a test checks it against Alembic's `ScriptDirectory.get_heads()`."""
    return _heads_in(MIGRATIONS_DIR)


@cache
def _heads_in(directory: Path) -> tuple[str, ...]:
    revisions: list[str] = []
    revised: set[str] = set()
    for path in sorted((directory / "versions").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target: ast.expr = node.target
                value = node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            if target.id == "revision":
                revisions.append(ast.literal_eval(value))
            elif target.id == "down_revision":
                down = ast.literal_eval(value)
                revised.update([down] if isinstance(down, str) else down or ())
    return tuple(r for r in revisions if r not in revised)


def upgrade(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Apply every migration the database lacks, in one transaction (DDL is transactional on both
    SQLite and PostgreSQL, so a failed upgrade leaves the schema as it was); the state before
    and after. A database at a revision this newsarchive does not know raises `SchemaMismatch`."""

    def migrate(conn: Connection) -> tuple[SchemaState, SchemaState]:
        _lock_migrations(conn)
        before = _state(conn)
        if not before.known:
            raise SchemaMismatch(conn.engine.url.render_as_string(hide_password=True), before)
        from alembic import command

        command.upgrade(alembic_config(conn), "head")
        _check_foreign_keys(conn)
        return before, _state(conn)

    with _foreign_key_actions_off(engine):
        return write_transaction(engine, migrate)


@contextmanager
def _foreign_key_actions_off(engine: Engine) -> Iterator[None]:
    """On SQLite, migrate with foreign keys off (SQLite's documented procedure for changing a
    schema). Alembic changes a SQLite table by copying it and dropping the original, and with
    foreign keys on, DROP TABLE first deletes every row, firing the ON DELETE actions: a new
    column on `captures` would delete every extraction and unlink every version. The foreign
    keys are checked before the migration commits instead (`_check_foreign_keys`).

    The pragma is a no-op inside a transaction, so it is set on the pool's connections before
    the migration begins one; the pool is the migration's own (`upgrade_database`) or emptied
    after, so no connection keeps it.
    """
    if engine.dialect.name != "sqlite":
        yield
        return

    def keys_off(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    engine.dispose()
    event.listen(engine, "connect", keys_off)
    try:
        yield
    finally:
        event.remove(engine, "connect", keys_off)
        engine.dispose()


def _check_foreign_keys(conn: Connection) -> None:
    """Refuse to commit a migration that left a row pointing at nothing (SQLite, where the
    migration ran with foreign keys off)."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise RuntimeError(
            f"the migration left {len(broken)} rows pointing at nothing in {', '.join(tables)}"
        )


def upgrade_database(url: str) -> tuple[SchemaState, SchemaState]:
    """`upgrade` the database at `url`, which may be empty (or a SQLite file not made yet, in a
    directory that exists: none is made)."""
    sa_url = parse_url(url)
    shown = sa_url.render_as_string(hide_password=True)
    path = _sqlite_path(sa_url)
    if path is not None:
        _sqlite_directory(path, shown, make=False)
    engine = _engine(sa_url, shown)
    try:
        return upgrade(engine)
    except DBAPIError as exc:
        raise DatabaseUnusable(shown, error_text(exc)) from exc
    finally:
        engine.dispose()


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration without an ini file: env.py migrates through `connection`."""
    from alembic.config import Config

    config = Config(attributes={"connection": connection})
    # ConfigParser interpolates '%', which may occur in an install path.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def write_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work(connection)` in a transaction that writes, committed if it returns.

    On SQLite the transaction takes the write lock at its start (BEGIN IMMEDIATE): a transaction
    that read before it wrote would fail with "database is locked" when another process had
    written in between, since the busy timeout cannot help a reader whose snapshot is stale. On
    PostgreSQL a transaction aborted by a conflict with a concurrent one (deadlock, serialization
    failure, a unique key inserted meanwhile) is tried again, up to `WRITE_ATTEMPTS` times.
    """
    attempt = 1
    while True:
        try:
            with _writing(engine) as conn:
                return work(conn)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if attempt == WRITE_ATTEMPTS or state not in RETRIED_SQLSTATES:
                raise
            logger.debug("write conflict (%s), trying again: %s", state, exc.orig)
            time.sleep(random.uniform(0, 0.02 * attempt))  # let the winner commit
        attempt += 1


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def _create(engine: Engine) -> SchemaState:
    """Create the schema of an empty database at the latest migration, unless a process that
    held the lock first has done it."""
    # Imported before the lock is taken: the other processes creating the same database wait
    # for it (SQLite's busy timeout), on a loaded machine for as long as this import takes.
    from alembic import command

    def create(conn: Connection) -> SchemaState:
        _lock_migrations(conn)
        state = _state(conn)
        if not state.current:
            command.upgrade(alembic_config(conn), "head")
            state = _state(conn)
        return state

    return write_transaction(engine, create)


def _state(conn: Connection) -> SchemaState:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(conn))
    current = MigrationContext.configure(conn).get_current_heads()
    revisions = {script.revision for script in scripts.walk_revisions()}
    return SchemaState(current, tuple(scripts.get_heads()), revisions.issuperset(current))


def _lock_migrations(conn: Connection) -> None:
    """Serialise schema changes: PostgreSQL's advisory lock, held to the end of the transaction
    (a SQLite write transaction holds the database's one write lock already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))


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
    SQLite; the busy timeout, set first so that switching to WAL waits too, makes a second writer
    wait instead of failing. Setting `isolation_level = None` stops the sqlite3 module from
    managing transactions itself, which it does without BEGIN for DDL and SELECT;
    `_sqlite_begin` emits BEGIN instead.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        _sqlite_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_wal(cursor: Any) -> None:
    """Switch the file to WAL, retrying while another connection holds it.

    The busy timeout does not cover every case: when two connections that both read the header
    of a new file ask for the exclusive lock that switching needs, SQLite answers one of them
    "database is locked" at once rather than let them deadlock (seen with processes creating
    one database together). The file keeps WAL once switched, so the loop ends as soon as the
    other connection has done it or let go. A try may itself wait out the busy timeout, so the
    whole can take up to about twice it before the error is raised.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    attempt = 0
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        attempt += 1
        time.sleep(random.uniform(0, min(0.005 * attempt, 0.1)))


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN, or BEGIN IMMEDIATE for a transaction that will write (see `write_transaction`):
    reads keep the deferred BEGIN, so that they never wait for a writer."""
    immediate = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
