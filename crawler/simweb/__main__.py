"""`python -m crawler.simweb [--extra N] [--round N] [--walls] [--edits] [--rights]
[--requisites] [--archive]`: serve the simulated web until Ctrl-C.

Enter moves it to its next round (see timeline.py), so a recrawl can be tried by hand. The
feature flags turn on the opt-in parts of features.py (`--all-features`: every one).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence

from crawler.simweb import SimWeb


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.simweb",
        description="Serve the simulated news web on 127.0.0.1 and print its story file.",
    )
    parser.add_argument(
        "--extra",
        type=int,
        default=0,
        metavar="N",
        help="N more generated articles, for volume (default 0)",
    )
    parser.add_argument(
        "--failing",
        action="store_true",
        help="add a sixth publisher that answers 500 to everything",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="add a publisher that attacks the crawler (bombs, loops, slow and huge bodies…)",
    )
    parser.add_argument(
        "--tracking",
        action="store_true",
        help="add a publisher that answers articles only at the URL its feed published",
    )
    parser.add_argument("--seed", type=int, default=0, help="vary the generated content")
    for name, text in FEATURE_HELP.items():
        parser.add_argument(f"--{name}", action="store_true", help=text)
    parser.add_argument("--all-features", action="store_true", help="every feature above")
    parser.add_argument(
        "--round", type=int, default=0, metavar="N", help="start in round N (default 0)"
    )
    args = parser.parse_args(argv)
    if args.extra < 0:
        parser.error("--extra must be 0 or more")
    if args.round < 0:
        parser.error("--round must be 0 or more")
    chosen = {name: args.all_features or getattr(args, name) for name in FEATURE_HELP}
    web = SimWeb(
        extra_articles=args.extra,
        failing_publisher=args.failing,
        hostile_publisher=args.hostile,
        tracking_publisher=args.tracking,
        seed=args.seed,
        **chosen,
    )
    web.set_round(args.round)
    with web:
        for publisher in web.publishers:
            print(f"{publisher.name:<20} {publisher.base_url}")
        for name, url in _feature_hosts(web):
            print(f"{name:<20} {url}")
        print("\n# story file\n" + web.story_toml(), flush=True)
        try:  # from here on, Ctrl-C stops it cleanly: a caller may press it as soon as it reads
            print(
                f"Serving round {web.round}; press Enter for the next round, Ctrl-C to stop.",
                file=sys.stderr,
                flush=True,
            )
            if _may_read_stdin():
                for _ in sys.stdin:
                    print(f"Round {web.advance()}", file=sys.stderr, flush=True)
            threading.Event().wait()  # no more input: serve on
        except KeyboardInterrupt:
            print("Stopped.", file=sys.stderr)
    return 0


FEATURE_HELP = {
    "walls": "serve paywalls, consent, login and bot-challenge walls in some rounds",
    "edits": "add articles that change in one known way each in later rounds",
    "rights": "send noarchive signals (X-Robots-Tag, meta robots) on some pages",
    "requisites": "make article pages load stylesheets, fonts, scripts and images (and a CDN)",
    "archive": "serve a Wayback Machine and a Common Crawl index holding captures",
}
"""The opt-in features (crawler/simweb/features.py), by flag."""


def _feature_hosts(web: SimWeb) -> list[tuple[str, str]]:
    """The features' own hosts, to print after the publishers (before the story file)."""
    truth = web.truth
    hosts = []
    if truth.requisites is not None:
        hosts.append(("CDN (requisites)", truth.requisites.cdn))
    if truth.archive is not None:
        archive = truth.archive
        hosts += [
            ("Wayback Machine", archive.wayback),
            ("Common Crawl index", f"{archive.cc_index}{archive.collection}-index"),
            ("Common Crawl data", archive.cc_data),
        ]
    return hosts


def _may_read_stdin() -> bool:
    """False for a background job on a terminal: reading it would stop the job (SIGTTIN)."""
    if not sys.stdin.isatty():
        return True  # a pipe or a file; /dev/null just ends
    return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()


if __name__ == "__main__":
    sys.exit(main())
