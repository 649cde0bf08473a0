"""Options and helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Engine

from crawler.core.datadir import DB_ENV, DataDirIdError, data_dir_id, database_url
from crawler.core.story import Story, StoryError, load_story, parse_story
from storage.db.engine import (
    DatabaseNotFound,
    DatabaseUnusable,
    SchemaMismatch,
    check_writable,
    open_database,
)
from storage.db.queries import UnknownPublisher, UnknownStory

REDIS_ENV = "NEWSARCHIVE_REDIS"
REDIS_PREFIX_ENV = "NEWSARCHIVE_REDIS_PREFIX"


class CliError(Exception):
    """A failure a verb reports as one line, `PROG: message`, and ends with exit status `code`
    (2: a mistake in what the user asked for, or something that is not there; 1: something
    broke, such as WARC files missing from an archive)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(" ".join(message.split()))
        self.code = code

    def report(self, prog: str) -> int:
        """Write the message to standard error; the exit status for `main` to return."""
        sys.stderr.write(f"{prog}: {self}\n")
        return self.code


class CliParser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (`PROG: error: …; see PROG --help`) and exit
    status 2, as every other mistake a user can make."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}; see {self.prog} --help\n")


def output_file(path: Path) -> Path:
    """Check a `-o FILE` before any work: a file name in a directory that exists, not a
    directory; a `CliError` (2) otherwise."""
    if path.is_dir():
        raise CliError(f"-o {path} is a directory: name a file to write", 2)
    if not path.parent.is_dir():
        raise CliError(f"no such directory: {path.parent}", 2)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise CliError(f"cannot write in {path.parent}: permission denied", 2)
    return path


@contextmanager
def writing_to(path: Path) -> Iterator[None]:
    """Report a failure to write `path` (an OSError in the block) as a `CliError` that names it:
    2 for a path the user can fix (no permission, no such directory), 1 for a full disk."""
    try:
        yield
    except OSError as exc:
        code = 1 if exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT) else 2
        raise CliError(f"cannot write {path}: {exc.strerror or exc}", code) from exc


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    """--wait: for the data directory's lock (crawler/cli/lock.py)."""
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if another newsarchive process is writing into the data directory, wait for it "
        "to finish (default: refuse, exit status 2)",
    )


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


def add_console_options(parser: argparse.ArgumentParser) -> None:
    """-L LEVEL, -v and --quiet: how much a crawl says (docs/crawling.md#what-a-crawl-prints)."""
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument(
        "-L",
        "--loglevel",
        default=None,
        metavar="LEVEL",
        help="log level: DEBUG, INFO, WARNING (default, or LOG_LEVEL), ERROR; INFO shows "
        "Scrapy's lines, the database's revision and the stats",
    )
    talk.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: the INFO log (as -L INFO), -vv: the DEBUG log",
    )
    talk.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing but errors: no progress, no summary, no warnings "
        "(the exit status tells how it went)",
    )


def console_settings(args: argparse.Namespace) -> list[str]:
    """The `-s` settings that -L, -v and --quiet stand for (they win over -s LOG_LEVEL)."""
    if args.quiet:
        return ["LOG_LEVEL=ERROR", "NEWSARCHIVE_PROGRESS=off"]
    if args.verbose:
        return [f"LOG_LEVEL={'INFO' if args.verbose == 1 else 'DEBUG'}"]
    if args.loglevel:  # checked with the other settings (crawler.setting_checks)
        return [f"LOG_LEVEL={args.loglevel.upper()}"]
    return []


def console_arguments(args: argparse.Namespace) -> list[str]:
    """-L, -v and --quiet as given, to pass on to a crawl."""
    if args.quiet:
        return ["--quiet"]
    if args.verbose:
        return ["-" + "v" * args.verbose]
    if args.loglevel:
        return ["-L", args.loglevel]
    return []


STORY_RULE = (
    "a story's NAME, as stored by its crawl, or a story FILE: a value that ends in .toml or "
    "holds a / is read as a file"
)
"""The one rule for `--story` on the verbs that need a story's definition (ingest, verify)."""


def is_story_file(value: str) -> bool:
    """Whether a `--story` value names a story file rather than a stored story (`STORY_RULE`)."""
    return value.endswith(".toml") or "/" in value or os.sep in value


def story_option(engine: Engine | None, value: str) -> Story:
    """The story a `--story` value stands for (`STORY_RULE`): read from the file, or the
    definition the database keeps of the story of that name. A `CliError` (2) when it cannot be
    had: an unknown name (the message lists the names there are), no database, or a story stored
    without its file."""
    if is_story_file(value):
        try:
            return load_story(value)
        except StoryError as exc:
            raise CliError(str(exc), 2) from exc
    if engine is None:
        raise CliError(
            f"--story {value}: there is no database to find the story in: give its FILE "
            "(a path ending in .toml)",
            2,
        )
    from storage.db.reextract import story_definitions

    try:
        (stored,) = story_definitions(engine, value)
    except UnknownStory as exc:
        raise CliError(f"{exc}; or give a story FILE (a path ending in .toml)", 2) from exc
    if stored.definition is None:
        raise CliError(
            f"the story {value!r} was stored without its story file: give the FILE (a path "
            "ending in .toml)",
            2,
        )
    try:
        return parse_story(stored.definition, f"the stored story {value!r}")
    except StoryError as exc:  # stored by another version of newsarchive
        raise CliError(f"{exc}: give the story FILE (a path ending in .toml)", 2) from exc


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
    except (SchemaMismatch, DatabaseUnusable) as exc:
        raise unusable_database(exc) from exc
    try:
        yield engine
    except (UnknownStory, UnknownPublisher) as exc:
        raise CliError(str(exc), 2) from exc
    finally:
        engine.dispose()


def writable_database(data_dir: Path, db: str | None) -> Engine:
    """The engine of the database a writing verb (`ingest`, `verify --repair`) works on, made
    if it is not there yet (its directory is not): a `CliError` (2) unless it can be opened at
    this newsarchive's revision and written."""
    try:
        engine = open_database(database_url(data_dir, db), make_dirs=False)
    except (SchemaMismatch, DatabaseUnusable) as exc:
        raise unusable_database(exc) from exc
    return takes_writes(engine)


def takes_writes(engine: Engine) -> Engine:
    """`engine`, once `check_writable` has passed; else it is disposed of and a `CliError` (2)
    says why the database cannot be written."""
    try:
        check_writable(engine)
    except DatabaseUnusable as exc:
        engine.dispose()
        raise unusable_database(exc) from exc
    return engine


def unusable_database(exc: SchemaMismatch | DatabaseUnusable) -> CliError:
    """The `CliError` (2) for a database that cannot be used: a schema at another revision than
    this newsarchive's (`newsarchive db upgrade`, or another newsarchive, is the answer), a URL,
    driver, server or file that does not work."""
    return CliError(str(exc), 2)


def own_id(data_dir: Path, *, create: bool = True) -> str:
    """The id of `data_dir` (made the first time, with `create`; else '-', which no data
    directory has, when it has none yet), or a `CliError` when its id file is unreadable."""
    try:
        found = data_dir_id(data_dir, create=create)
    except (DataDirIdError, OSError) as exc:
        raise CliError(f"cannot tell which data directory {data_dir} is: {exc}", 2) from exc
    return found or "-"
