"""Helpers shared by test modules."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.core.record import WarcRecord

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


def response_record(
    url: str,
    body: bytes,
    *,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),),
    record_id: str = "<urn:uuid:00000000-0000-0000-0000-000000000001>",
    date: str = "2025-02-05T00:00:00Z",
) -> WarcRecord:
    """A response record as the WARC writer returns it: what a `PageItem` carries."""
    return WarcRecord(
        rec_type="response",
        warc_headers=(
            ("WARC-Type", "response"),
            ("WARC-Record-ID", record_id),
            ("WARC-Target-URI", url),
            ("WARC-Date", date),
        ),
        http_start_line=f"HTTP/1.1 {status} OK",
        http_headers=headers,
        payload=body,
    )


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
