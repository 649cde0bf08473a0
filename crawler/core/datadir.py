"""Where a data directory keeps its files: the WARC files and the default SQLite database.

Every component that opens the database or the archive asks here, so that `--data DIR`, `--db URL`,
`$NEWSARCHIVE_DB` and the `NEWSARCHIVE_DATA_DIR` / `DB_URL` settings mean the same thing to the
crawl, its extensions and every verb.
"""

from __future__ import annotations

import os
import uuid
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


ID_FILE = "newsarchive.id"
"""The file in a data directory that holds its id (one line, a UUID)."""


class DataDirIdError(OSError):
    """A data directory's id file cannot be read or made."""


def data_dir_id(data_dir: Path, *, create: bool = True) -> str | None:
    """The id of `data_dir`: a UUID kept in DIR/newsarchive.id, made the first time one is
    asked for (`create`), else None when there is none yet.

    The database records which data directory wrote each WARC file by this id (the
    `warc_files` table), so that a data directory moved elsewhere is still itself, and two data
    directories that share one database tell their files apart (docs/verify.md). Several
    processes may ask at once (distributed workers share a data directory): the first one's id
    wins, the others read it.
    """
    path = data_dir / ID_FILE
    found = _read_id(path)
    if found is not None or not create:
        return found
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{ID_FILE}.{os.getpid()}.part")
    partial.write_text(f"{uuid.uuid4()}\n", encoding="ascii")
    try:
        os.link(partial, path)  # never replaces an id another process made meanwhile
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)
    made = _read_id(path)
    if made is None:
        raise DataDirIdError(f"{path} holds no data directory id")
    return made


def _read_id(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataDirIdError(f"cannot read {path}: {exc}") from exc
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise DataDirIdError(f"{path} holds no data directory id: {text[:40]!r}") from exc


def settings_data_dir_id(settings: SettingsLike) -> str:
    """The id of the data directory of a crawl with these Scrapy settings (made if needed)."""
    found = data_dir_id(settings_data_dir(settings))
    assert found is not None
    return found
