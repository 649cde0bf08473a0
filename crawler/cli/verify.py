"""`newsarchive verify --data DIR [--repair]`: check the WARC files and the captures that point
into them; with --repair, fix what can be fixed safely (see docs/archive.md)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import Engine, make_url

from crawler.cli.common import (
    STORY_RULE,
    CliError,
    CliParser,
    add_data_options,
    add_wait_option,
    is_story_file,
    own_id,
    story_option,
    takes_writes,
    unusable_database,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.cli.options import add_extract_options, extract_options
from crawler.core.datadir import database_url, warc_dir
from crawler.core.story import Story
from crawler.extraction.options import ExtractOptions
from crawler.services.exchange import is_capture
from crawler.services.recover import Reconciled, Reconciler
from storage.db.engine import DatabaseNotFound, DatabaseUnusable, open_database
from storage.db.warcfiles import capture_files, owners, settle
from storage.recover import RecoveredFile, files_to_reconcile, recover_open_files
from storage.verify import Report, Scope, verify, warc_files
from storage.warc import OPEN_SUFFIX

PROG = "newsarchive verify"


class Progress:
    """A line on standard error at most every `interval` seconds: big archives take a while."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self._last = time.monotonic()

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            sys.stderr.write(f"{PROG}: {message}\n")
            sys.stderr.flush()


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Check every WARC file (records whole, mandatory headers, digests), every "
        "capture's pointer into them, revisits' references and unfinished files. Exit status: "
        "0 clean, 1 problems found (or left after --repair), 2 usage error.",
    )
    add_data_options(parser)
    parser.add_argument(
        "--repair",
        action="store_true",
        help="recover unfinished .open files, store captures for records that have none, move "
        "or remove captures that point at no record; then check again",
    )
    parser.add_argument(
        "--claim-unknown",
        action="store_true",
        help="with --repair: count captures whose missing WARC file no data directory "
        "registered (written before data directories had ids, into a database shared with "
        "other data directories) as this data directory's, so that they can be removed",
    )
    parser.add_argument(
        "--story",
        metavar="NAME|FILE",
        help="with --repair: the story, so that recovered pages are judged for relevance and "
        f"linked to it as in a crawl; {STORY_RULE}",
    )
    add_extract_options(parser)
    add_wait_option(parser)
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    directory = warc_dir(args.data)
    try:
        if not directory.is_dir():
            raise CliError(f"no WARC directory {directory}: point --data at a crawl's data", 2)
        if args.claim_unknown and not args.repair:
            raise CliError("--claim-unknown goes with --repair", 2)
        # a story file is read before any work; a story's name once the database is open
        story = story_option(None, args.story) if args.story and is_story_file(args.story) else None
        options, _ = extract_options(args)
        # only a repair writes: a check may run beside a crawl
        lock = data_dir_lock(args.data, "verify --repair", wait=args.wait)
        with lock if args.repair else nullcontext():
            data_dir = own_id(args.data, create=args.repair)
            engine = _database(args.data, args.db, writable=args.repair)
            try:
                if args.story and story is None:
                    story = story_option(engine, args.story)
                scope = None
                if engine is not None:
                    scope = Scope(
                        owners(engine, data_dir),
                        own_database=_own_database(args.data, args.db),
                        claim=args.claim_unknown,
                    )
                return _run(directory, engine, story, options, scope, repair=args.repair)
            finally:
                if engine is not None:
                    engine.dispose()
    except CliError as exc:
        return exc.report(PROG)


def _own_database(data: Path, db: str | None) -> bool:
    """Whether the database is the data directory's own (SQLite inside it): then no other data
    directory's captures are in it."""
    url = make_url(database_url(data, db))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    return Path(url.database).resolve().parent == data.resolve()


def _refuse_unknown(engine: Engine, directory: Path, scope: Scope) -> None:
    """Refuse to repair (before anything changes) when captures point into missing files that
    may be another data directory's."""
    here = warc_files(directory)
    unknown = sorted(
        name
        for name in capture_files(engine)
        if name not in here and not Path(name).is_absolute() and scope.whose(name) == "unknown"
    )
    if unknown:
        raise CliError(
            f"cannot tell whether the captures in {len(unknown)} missing WARC files "
            f"({unknown[0]}{', …' if len(unknown) > 1 else ''}) are this data directory's: no "
            "data directory registered them (they predate data directory ids) and the database "
            "is shared; put the files back, or repair with --claim-unknown if they are this "
            "one's",
            2,
        )


def _database(data: Path, db: str | None, *, writable: bool) -> Engine | None:
    """The crawl's database, or None (with a note) when there is none: the files alone are
    checked then. A repair needs to write it."""
    url = database_url(data, db)
    try:
        engine = open_database(url, create=False)
    except DatabaseNotFound as exc:
        sys.stderr.write(f"{PROG}: {exc}: checking the WARC files only\n")
        return None
    except DatabaseUnusable as exc:
        raise unusable_database(exc) from exc
    return takes_writes(engine) if writable else engine


def _run(
    directory: Path,
    engine: Engine | None,
    story: Story | None,
    options: ExtractOptions,
    scope: Scope | None,
    *,
    repair: bool,
) -> int:
    progress = Progress()
    recovered: list[RecoveredFile] = []
    if repair:
        if engine is not None and scope is not None:
            _refuse_unknown(engine, directory, scope)
        recovered = recover_open_files(directory)
        for file in recovered:
            print(_describe(file))
    report = verify(directory, engine, progress, is_capture, scope)
    _print_problems(report)
    if not repair:
        _print_summary(report)
        return 0 if report.clean else 1
    fixable = [p for p in report.problems if p.fixable]
    if engine is not None and (fixable or recovered):
        names = {p.file for p in report.problems if p.orphan}
        names |= {p.capture.filename for p in report.problems if p.capture is not None}
        names = {name for name in names if (directory / name).is_file()}
        names.update(files_to_reconcile(directory, recovered))
        data_dir = scope.owners.data_dir if scope is not None else None
        done = Reconciler(engine, directory, options, story, data_dir).reconcile(
            sorted(names),
            [p.capture for p in report.problems if p.capture is not None],
            progress,
        )
        _print_reconciled(done)
        report = verify(directory, engine, progress, is_capture, scope)
    if engine is not None and scope is not None:
        # the files here that the database has caught up with are this data directory's
        behind = {p.file.removesuffix(OPEN_SUFFIX) for p in report.problems if p.orphan}
        settle(
            engine,
            scope.owners.data_dir,
            [n for n, p in warc_files(directory).items() if n not in behind and p.name == n],
        )
    print(f"after repair: {_summary(report)}")
    for problem in report.problems:
        print(f"not repaired: {problem}")
    return 0 if report.clean else 1


def _describe(file: RecoveredFile) -> str:
    if file.status == "recovered":
        cut = f", cut {file.cut} bytes ({file.reason})" if file.cut else ""
        return f"repaired: {file.name}.open recovered: {file.records} complete records{cut}"
    if file.status == "empty":
        return f"repaired: {file.name}.open had no complete record and was removed"
    if file.status == "in-use":
        return f"skipped: {file.name}.open: {file.reason}"
    return f"not repaired: {file.name}.open: {file.reason}"


def _print_problems(report: Report) -> None:
    for problem in report.problems:
        print(problem)
    for note in report.flagged:
        print(f"flagged: {note} (as archived: kept, not repaired)")
    for name in report.in_use:
        print(f"{name}: being written by a running crawl, not checked")


def _print_reconciled(done: Reconciled) -> None:
    if done.captures_added:
        print(f"repaired: stored {done.captures_added} captures for records that had none")
    if done.pages_added:
        print(f"repaired: stored {done.pages_added} pages through extraction")
    if done.captures_repointed:
        print(f"repaired: moved {done.captures_repointed} captures to where their record is")
    for file, offset, record_id in done.captures_dropped:
        print(f"repaired: {file}:{offset}: removed capture of {record_id}: not in the archive")


def _summary(report: Report) -> str:
    counts = (
        f"{report.files} files, {report.records} records, {report.bytes:,} bytes, "
        f"{report.captures} captures checked"
    )
    if report.foreign:
        counts += f" ({report.foreign} captures of other data directories left alone)"
    if report.flagged:
        counts += f", {len({(p.file, p.offset) for p in report.flagged})} flagged records"
    if report.clean:
        return f"{counts}: no problems"
    return f"{counts}: {len(report.problems)} problems"


def _print_summary(report: Report) -> None:
    print(_summary(report))
