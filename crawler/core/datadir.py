"""Where a data directory keeps its files: the WARC files and the default SQLite database.

Every component that opens the database or the archive asks here, so that `--data DIR`, `--db URL`,
`$NEWSARCHIVE_DB` and the `NEWSARCHIVE_DATA_DIR` / `DB_URL` settings mean the same thing to the
crawl, its extensions and every verb.
"""

from __future__ import annotations

import os
from pathlib import Path

from crawler import settings as defaults
from crawler.core.config import SettingsLike

DB_ENV = "NEWSARCHIVE_DB"
"""The environment variable naming the database when neither --db nor DB_URL does."""


def database_url(data_dir: Path, db: str | None) -> str:
    """The database to use: --db, else $NEWSARCHIVE_DB, else SQLite inside the data directory."""
    if db:
        return db
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    return f"sqlite:///{(data_dir / 'newsarchive.db').resolve()}"


def settings_data_dir(settings: SettingsLike) -> Path:
    """The data directory of a crawl with these Scrapy settings (`NEWSARCHIVE_DATA_DIR`)."""
    return Path(settings.get("NEWSARCHIVE_DATA_DIR") or defaults.NEWSARCHIVE_DATA_DIR)


def settings_database_url(settings: SettingsLike) -> str:
    """The database a crawl with these Scrapy settings writes to (`DB_URL`, else as
    `database_url` decides for `NEWSARCHIVE_DATA_DIR`)."""
    return database_url(settings_data_dir(settings), settings.get("DB_URL") or None)


def warc_dir(data_dir: Path) -> Path:
    """Where the crawl writes its WARC files."""
    return data_dir / "warc"


def settings_warc_dir(settings: SettingsLike) -> Path:
    """The WARC directory of a crawl with these Scrapy settings (`WARC_DIR`, else DIR/warc)."""
    return Path(settings.get("WARC_DIR") or warc_dir(settings_data_dir(settings)))


def lock_file(data_dir: Path) -> Path:
    """The file whose `flock` one writing process of the data directory holds (a crawl,
    `schedule`, `ingest`, `reextract`, `verify --repair`); it names that process."""
    return data_dir / "newsarchive.lock"
