"""Helpers shared by test modules."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WARCIO_CLI = "import sys; from warcio.cli import main; main(sys.argv[1:])"
"""The `warcio` command, run with this interpreter (warcio has no `__main__`)."""


def warcio_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    """Run the `warcio check` command (digests of every record) on `paths`."""
    return subprocess.run(
        [sys.executable, "-c", WARCIO_CLI, "check", "-v", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free port of 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def unreachable_story(name: str) -> str:
    """A story file whose one source refuses every connection (port 9 of 127.0.0.1)."""
    return f"""
name = "{name}"
title = "t"
since = 2025-02-01
until = 2025-02-28

[match]
all = ["x"]

[[sources]]
name = "Local"
url = "http://127.0.0.1:9/"
"""
