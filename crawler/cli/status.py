"""`newsarchive status`: what the archive holds, per publisher and in total, and what became of
every URL the last crawl of each story met."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from crawler.cli.common import CliError, CliParser, add_data_options, existing_database, own_id
from crawler.cli.errors import one_error_path
from crawler.core.datadir import warc_dir
from storage.db import queries
from storage.db.flags import flagged_files
from storage.db.queries import Counts, RunInfo, StatusReport, StoryOutcomes, UnknownRun
from storage.db.warcfiles import Owners, owners

PROG = "newsarchive status"
COLUMNS = ("captures", "articles", "relevant", "WARC files", "WARC size")
WARC_NOTE = (
    "(a publisher's WARC files and size: the files holding its records, and its records' "
    "size; the total's: all the files, their size on disk)"
)


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Counts of captures, articles and WARC records, per publisher, and what "
        "became of the URLs of the last crawl.",
    )
    add_data_options(parser)
    parser.add_argument(
        "--story", metavar="NAME", help="only the publishers and articles of this story"
    )
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument(
        "--run", type=int, metavar="ID", help="URL outcomes of this crawl run (default: the last)"
    )
    runs.add_argument(
        "--all-runs", action="store_true", help="URL outcomes of all crawl runs together"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: aligned tables (default); json: the same counts as one object",
    )
    args = parser.parse_args(argv)

    try:
        data_dir = own_id(args.data, create=False)
        with existing_database(args.data, args.db) as engine:
            report = queries.status(
                engine,
                args.story,
                warc_dir=warc_dir(args.data),
                foreign=foreign_files(owners(engine, data_dir)),
            )
            flagged = flagged_files(engine)
            try:
                outcomes = queries.outcomes(
                    engine, args.story, run_id=args.run, all_runs=args.all_runs
                )
            except UnknownRun as exc:
                raise CliError(str(exc), 2) from exc
    except CliError as exc:
        return exc.report(PROG)

    scope = "run" if args.run is not None else "all" if args.all_runs else "last"
    if args.format == "json":
        data = as_json(report, outcomes, scope)
        data["flagged"] = {name: dict(sorted(counts.items())) for name, counts in flagged.items()}
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_text(report, warc_dir(args.data).as_posix()))
        sys.stdout.write(flags_text(flagged))
        sys.stdout.write(outcomes_text(outcomes, scope))
    return 0


def foreign_files(found: Owners) -> Callable[[str, bool], bool]:
    """Whether a WARC file (on disk or not) is another data directory's, as `verify` tells
    (docs/archive.md, "Several data directories, one database"): one in this WARC directory is
    this one's whoever registered it; one elsewhere (ingested where it lies) or missing is
    another's when registered only to others. Files no data directory registered (they predate
    data directory ids) count as this one's."""

    def foreign(name: str, present: bool) -> bool:
        if present and not Path(name).is_absolute():
            return False
        return found.whose(name) == "others"

    return foreign


def as_json(
    report: StatusReport, outcomes: list[StoryOutcomes] | None = None, scope: str = "last"
) -> dict[str, Any]:
    return {
        "story": report.story,
        "publishers": [
            {"publisher": row.publisher, "host": row.host, **asdict(row.counts)}
            for row in report.publishers
        ],
        "total": asdict(report.total),
        "missing_warc_files": list(report.missing_warc_files),
        "other_data_dirs": asdict(report.elsewhere),
        "outcomes": {
            "scope": scope,
            "stories": [
                {
                    "story": o.story,
                    "run": _run_json(o.run),
                    "runs": o.runs,
                    "counts": [asdict(c) for c in o.counts],
                    "total": o.total,
                }
                for o in outcomes or []
            ],
        },
    }


def flags_text(flagged: dict[str, Counter[str]]) -> str:
    """A line per WARC file whose records are stored with flags (docs/ingest.md#flags): what is
    wrong with them as archived, kept as it is. Empty when there is none."""
    if not flagged:
        return ""
    total: Counter[str] = Counter()
    for counts in flagged.values():
        total.update(counts)
    lines = ["", f"Flagged captures (as archived, kept as they are): {_counted(total)}"]
    lines += [f"  {name}: {_counted(counts)}" for name, counts in flagged.items()]
    return "\n".join(lines) + "\n"


def _counted(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {flag}" for flag, n in sorted(counts.items()))


def _run_json(run: RunInfo | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "finish_reason": run.finish_reason,
    }


_TITLES = {
    "last": "Outcomes of the last crawl",
    "run": "Outcomes of the crawl run",
    "all": "Outcomes of all crawls",
}


def outcomes_text(outcomes: list[StoryOutcomes], scope: str) -> str:
    """A section per story: URLs by outcome and reason, then their total. Empty without runs."""
    if not outcomes:
        return ""
    lines = ["", _TITLES[scope]]
    for report in outcomes:
        lines.append("")
        lines.append(f"story: {report.story}, {_describe(report)}")
        table = [("outcome", "reason", "URLs")]
        table += [(c.outcome, c.reason, str(c.urls)) for c in report.counts]
        table.append(("total", "", str(report.total)))
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        for outcome, reason, urls in table:
            line = f"{outcome.ljust(widths[0])}  {reason.ljust(widths[1])}  {urls.rjust(widths[2])}"
            lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def _describe(report: StoryOutcomes) -> str:
    run = report.run
    if run is None:
        return f"{report.runs} runs" if report.runs != 1 else "1 run"
    started = run.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if run.finished_at is None:
        return f"run {run.id}, started {started}, not finished"
    return f"run {run.id}, started {started}, {run.finish_reason} after {_duration(run)}"


def _duration(run: RunInfo) -> str:
    assert run.finished_at is not None
    seconds = round((run.finished_at - run.started_at).total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def as_text(report: StatusReport, warc_location: str) -> str:
    """An aligned table: one line per publisher, then the total."""
    table: list[tuple[str, ...]] = [("publisher", "host", *COLUMNS)]
    table += [(r.publisher, r.host or "-", *_cells(r.counts)) for r in report.publishers]
    table.append(("total", "", *_cells(report.total)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    if report.story is not None:
        lines.append(f"story: {report.story}")
    for row in table:
        left = [cell.ljust(width) for cell, width in zip(row[:2], widths[:2], strict=True)]
        right = [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(left + right).rstrip())
    lines.append(WARC_NOTE)
    elsewhere = report.elsewhere
    if elsewhere.captures:
        lines.append("")
        lines.append(
            f"Not counted: {_plural(elsewhere.captures, 'capture')} in "
            f"{_plural(elsewhere.warc_files, 'WARC file')} of other data directories sharing "
            "this database"
        )
    missing = report.missing_warc_files
    if missing:
        files = "file is" if len(missing) == 1 else "files are"
        lines.append("")
        lines.append(
            f"{len(missing)} WARC {files} missing from {warc_location}: {', '.join(missing)}"
        )
    return "\n".join(lines) + "\n"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _cells(counts: Counts) -> tuple[str, ...]:
    return (
        str(counts.captures),
        str(counts.articles),
        str(counts.relevant),
        str(counts.warc_files),
        human_size(counts.warc_bytes),
    )


def human_size(size: int) -> str:
    """Bytes in decimal units: '950 B', '1.2 kB', '3.4 GB'."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} TB"
