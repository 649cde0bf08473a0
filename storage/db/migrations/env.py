"""Alembic environment for newsarchive.

At runtime `storage.db.engine.upgrade` passes its open connection in `config.attributes`, so
migrations run inside the caller's transaction and no alembic.ini is needed. For writing a new
revision, pass a database URL instead:

    alembic -c storage/db/alembic.ini -x url=sqlite:///data/newsarchive.db revision --autogenerate
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from storage.db.engine import make_engine
from storage.db.fts import include_name
from storage.db.models import Base, UTCDateTime


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render `UTCDateTime` as the column type it is, so revisions do not import the models."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: autogenerate "move and copy" batch operations for it.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        # The search index is not a model (storage/db/fts.py): leave it out of comparisons.
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("newsarchive migrations run online only: pass a connection or -x url=…")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("no database: run with -x url=DATABASE_URL")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


main()
