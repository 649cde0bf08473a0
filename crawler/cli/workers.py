"""`newsarchive workers --redis URL`: the workers and the shared frontier of distributed crawls."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from crawler.cli.common import CliError, CliParser, add_redis_option, redis_prefix
from crawler.cli.errors import one_error_path

if TYPE_CHECKING:
    from crawler.distributed.runs import FrontierInfo

PROG = "newsarchive workers"


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Show the runs of distributed crawls (running, interrupted, finished but not "
        "cleaned up; when their keys expire), their workers (host, pid, started, last heartbeat, "
        "pages done) and their shared frontier (queued requests, dupefilter size).",
    )
    add_redis_option(parser, "the Redis server the workers share")
    parser.add_argument(
        "--story", default=None, metavar="NAME", help="one story's crawl (default: every one)"
    )
    parser.add_argument(
        "--clear",
        action="store_true",
        help="delete the story's Redis keys (queue, dupefilter, workers): the next crawl "
        "starts afresh. Refused while a worker is alive.",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a block per story, its frontier and workers (default); "
        "json: a list, an object per story",
    )
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except CliError as exc:
        return exc.report(PROG)


def _run(args: argparse.Namespace) -> int:
    if not args.redis:
        raise CliError("give --redis URL (or set $NEWSARCHIVE_REDIS)", 2)
    from crawler import distributed

    try:
        distributed.check(args.redis)
    except distributed.RedisUnavailable as exc:
        raise CliError(str(exc), 2) from None
    import redis

    from crawler.distributed.coordinator import Keys
    from crawler.distributed.runs import clear, frontier_info, live_workers, stories

    prefix = redis_prefix()
    client = redis.Redis.from_url(args.redis)
    try:
        if args.clear:
            if not args.story:
                raise CliError("--clear needs --story NAME", 2)
            keys = Keys(prefix, args.story)
            alive = live_workers(client, keys)
            if alive:
                raise CliError(
                    f"{len(alive)} workers of {args.story!r} are alive ({', '.join(alive)}): "
                    "stop them first",
                    1,
                )
            print(f"deleted {clear(client, keys)} keys of {args.story!r}")
            return 0
        names = [args.story] if args.story else stories(client, prefix)
        infos = [frontier_info(client, Keys(prefix, name)) for name in names]
    finally:
        client.close()
    if args.format == "json":
        json.dump([asdict(info) for info in infos], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not infos:
        print(f"no distributed crawl under the key prefix {prefix!r}")
    else:
        for info in infos:
            sys.stdout.write(render(info))
    return 0


def render(info: FrontierInfo) -> str:
    seed = {None: "not started", "done": "queued"}.get(info.seed, f"being queued by {info.seed}")
    memory = "" if info.dupefilter_bytes is None else f", {info.dupefilter_bytes:,} bytes"
    lines = [
        f"story {info.story!r}: {info.queued:,} requests queued, "
        f"dupefilter {info.seen:,} fingerprints{memory}, start requests {seed}",
        f"  run {STATES[info.state]}"
        + ("" if info.state == "new" else f"; {expiry(info.expires_in)}"),
    ]
    if not info.workers:
        lines.append("  no workers")
    else:
        lines.append(
            f"  {'worker':<32} {'state':<6} {'host':<16} {'pid':>7} {'started':<25} "
            f"{'last heartbeat':<25} {'pages':>7} {'in flight':>9}"
        )
        for w in info.workers:
            lines.append(
                f"  {w.worker_id:<32} {'alive' if w.alive else 'dead':<6} {w.host:<16} "
                f"{w.pid:>7} {w.started:<25} {w.heartbeat:<25} {w.pages:>7} {w.inflight:>9}"
            )
    return "\n".join(lines) + "\n"


STATES = {
    "new": "not started",
    "running": "running",
    "ending": "ending: nothing left to fetch, its workers are about to stop",
    "interrupted": "interrupted: no worker is alive and work is left; the next crawl of the "
    "story resumes it",
    "finished": "finished but not cleaned up (its workers died before the last could leave); "
    "the next crawl of the story deletes it and starts a new run",
    "expired": "abandoned and partly expired; the next crawl of the story deletes it and starts "
    "a new run",
}
"""How each `RunState` reads."""


def expiry(seconds: float | None) -> str:
    """When a run's keys expire, in words."""
    if seconds is None:
        return "its keys never expire (left by an older newsarchive: clear it with --clear)"
    if seconds < 60:
        return "its keys expire in under a minute unless a worker heartbeats"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return f"its keys expire in {' '.join(parts)} unless a worker heartbeats"
