"""Options and helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DB_ENV = "NEWSARCHIVE_DB"


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--data DIR and --db URL, with the same meaning in every verb."""
    parser.add_argument(
        "--data",
        default="data",
        type=Path,
        metavar="DIR",
        help="data directory: WARC files in DIR/warc, SQLite in DIR/newsarchive.db "
        "(default: ./data)",
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help=f"SQLAlchemy database URL (default: ${DB_ENV}, else sqlite:///DIR/newsarchive.db)",
    )


def database_url(data_dir: Path, db: str | None) -> str:
    """The database to use: --db, else $NEWSARCHIVE_DB, else SQLite inside the data directory."""
    if db:
        return db
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    return f"sqlite:///{(data_dir / 'newsarchive.db').resolve()}"


def warc_dir(data_dir: Path) -> Path:
    return data_dir / "warc"
