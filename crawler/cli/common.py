"""Options and helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from crawler.core.datadir import DB_ENV, database_url
from storage.db.engine import DatabaseNotFound, SchemaMismatch, open_database
from storage.db.queries import UnknownPublisher, UnknownStory

REDIS_ENV = "NEWSARCHIVE_REDIS"
REDIS_PREFIX_ENV = "NEWSARCHIVE_REDIS_PREFIX"


class CliError(Exception):
    """A failure a verb reports as one line, `PROG: message`, and ends with exit status `code`
    (2: the user asked for something that is not there, 1: something broke)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    def report(self, prog: str) -> int:
        """Write the message to standard error; the exit status for `main` to return."""
        sys.stderr.write(f"{prog}: {self}\n")
        return self.code


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


def day(value: str) -> date:
    """An argparse type: a day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_filter_options(parser: argparse.ArgumentParser, dates: str = "") -> None:
    """--story NAME, --publisher HOST|NAME (repeatable), --since and --until DAY: which articles
    (`storage.db.queries.ArticleFilter`); `dates` ends the help of the two dates, with
    `{which}` for "on or after" or "on or before"."""
    parser.add_argument("--story", metavar="NAME", help="only the articles of this story")
    parser.add_argument(
        "--publisher",
        action="append",
        default=[],
        metavar="HOST|NAME",
        help="only the articles of this publisher, by host:port or name (repeatable)",
    )
    for option, which in (("--since", "on or after"), ("--until", "on or before")):
        parser.add_argument(
            option,
            type=day,
            metavar="YYYY-MM-DD",
            help=f"only articles published {which} this day (undated ones: first captured)"
            + dates.format(which=which),
        )


def add_setting_option(parser: argparse.ArgumentParser, help_prefix: str = "") -> None:
    """-s NAME=VALUE, repeatable, as with `scrapy crawl -s`."""
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"{help_prefix}override a Scrapy or newsarchive setting for this run (repeatable), "
        "e.g. -s DOWNLOAD_DELAY=0",
    )


def add_redis_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--redis URL, defaulting to $NEWSARCHIVE_REDIS."""
    parser.add_argument(
        "--redis",
        default=os.environ.get(REDIS_ENV) or None,
        metavar="URL",
        help=f"{help_text} (default: ${REDIS_ENV})",
    )


def redis_prefix() -> str:
    """The first part of every Redis key: $NEWSARCHIVE_REDIS_PREFIX, else the default."""
    from crawler import settings as defaults

    return os.environ.get(REDIS_PREFIX_ENV) or defaults.NEWSARCHIVE_REDIS_PREFIX


@contextmanager
def existing_database(data_dir: Path, db: str | None) -> Iterator[Engine]:
    """The engine of a database a crawl has made, disposed of on leaving the block.

    Read-only verbs must not create a database, so a missing one is a `CliError` (2), as are a
    schema at another revision than this newsarchive's and an `UnknownStory` or
    `UnknownPublisher` raised in the block; a database that cannot be reached is one too (1).
    """
    try:
        engine = open_database(database_url(data_dir, db), create=False)
    except DatabaseNotFound as exc:
        raise CliError(f"{exc}: run a crawl first, or point --data/--db at one", 2) from exc
    except (SchemaMismatch, OperationalError) as exc:
        raise unusable_database(exc) from exc
    try:
        yield engine
    except (UnknownStory, UnknownPublisher) as exc:
        raise CliError(str(exc), 2) from exc
    finally:
        engine.dispose()


def check_schema(data_dir: Path, db: str | None) -> None:
    """Refuse with a `CliError` a database whose schema is not at this newsarchive's revision
    (2), or that cannot be reached (1), before starting work that would open it later; a
    database not made yet is fine."""
    try:
        open_database(database_url(data_dir, db), create=False).dispose()
    except DatabaseNotFound:
        return
    except (SchemaMismatch, OperationalError) as exc:
        raise unusable_database(exc) from exc


def unusable_database(exc: SchemaMismatch | OperationalError) -> CliError:
    """The `CliError` for a database that cannot be used: a schema at another revision than
    this newsarchive's (2: `newsarchive db upgrade` or another newsarchive is the answer), or
    one that cannot be reached (1)."""
    if isinstance(exc, SchemaMismatch):
        return CliError(str(exc), 2)
    return CliError(f"cannot open the database: {exc.orig}", 1)
