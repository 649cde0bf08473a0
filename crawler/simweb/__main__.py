"""`python -m crawler.simweb [--extra N]`: serve the simulated web until Ctrl-C."""

from __future__ import annotations

import argparse
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
    parser.add_argument("--seed", type=int, default=0, help="vary the generated content")
    args = parser.parse_args(argv)
    if args.extra < 0:
        parser.error("--extra must be 0 or more")
    with SimWeb(extra_articles=args.extra, failing_publisher=args.failing, seed=args.seed) as web:
        for publisher in web.publishers:
            print(f"{publisher.name:<20} {publisher.base_url}")
        print("\n# story file\n" + web.story_toml(), flush=True)
        print("Serving; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
