"""`newsarchive serve`: browse the archive in a web browser, on Datasette (docs/serve.md)."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import make_url

from crawler.cli.common import CliError, CliParser, add_data_options, existing_database
from crawler.cli.errors import one_error_path
from crawler.core.datadir import database_url, warc_dir

PROG = "newsarchive serve"
DEFAULT_PORT = 8001
"""Datasette's own default."""
HOST = "127.0.0.1"
"""Only this machine: the archive is not published by accident."""


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Browse the archive in a web browser: stories, publishers, articles, their "
        "versions and diffs, captures, the archived pages replayed, and search. Runs Datasette "
        f"on {HOST} until stopped (Ctrl-C).",
    )
    add_data_options(parser)
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"the port to listen on, on {HOST} only (default {DEFAULT_PORT}; 0: any free one)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    try:
        database, url = sqlite_database(args.data, args.db)
        with existing_database(args.data, args.db):
            pass  # it exists, at this newsarchive's schema revision
        listener = listen(args.port)
    except CliError as exc:
        return exc.report(PROG)

    import uvicorn

    from crawler.serve.app import make_datasette
    from crawler.serve.plugin import dispose

    datasette = make_datasette(database, url, warc_dir(args.data))
    port = listener.getsockname()[1]
    sys.stderr.write(f"{PROG}: http://{HOST}:{port}/ (the archive in {args.data}; Ctrl-C stops)\n")
    sys.stderr.flush()
    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        dispose(datasette)
        listener.close()
    return 0


def sqlite_database(data: Path, db: str | None) -> tuple[Path, str]:
    """The SQLite file to serve and its URL; a `CliError` for another backend (Datasette reads
    SQLite only)."""
    url = database_url(data, db)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise CliError(
            "serve browses a SQLite database (Datasette reads SQLite only); for PostgreSQL use "
            "search, history, diff, report and export (docs/serve.md#postgresql)",
            2,
        )
    return Path(parsed.database), url


def listen(port: int) -> socket.socket:
    """A socket bound to HOST:`port`, so a port in use is one clear error before Datasette
    starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc.strerror}"
        raise CliError(f"port {port} on {HOST} {why}: pick another with --port N", 2) from exc
    sock.listen(128)
    return sock
