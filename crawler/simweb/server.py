"""HTTP/1.1 serving for the simulated web: one `ThreadingHTTPServer` per publisher on 127.0.0.1.

Responses are pre-rendered bytes (see sites.py); this module only negotiates them (conditional
requests, gzip) and writes them with a Content-Length so keep-alive works. It writes nothing to
stderr: every request goes to the `RequestLog` instead, with a hash of the exact body bytes sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Resource:
    """A complete response, before negotiation."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    """Further headers, in order; a name may repeat."""
    gzipped: bytes | None = None
    """`body` gzip-compressed, when the site sends gzip to clients that accept it."""
    etag: str | None = None
    last_modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    host: str
    method: str
    path: str
    """As requested, query included."""
    status: int
    user_agent: str
    content_encoding: str | None
    body_sha256: str
    """SHA-256 (hex) of the exact bytes written as the body (empty for HEAD and 304)."""
    time: float
    round: int
    """The round of the simulated web that answered (see timeline.py)."""


class RequestLog:
    """Every request to every publisher, in arrival order. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []
        self._bodies: dict[str, bytes] = {}

    def record(self, entry: LoggedRequest, url: str, body: bytes | None) -> None:
        with self._lock:
            self._entries.append(entry)
            if body is not None:
                self._bodies[url] = body

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def paths_fetched(self, host: str) -> list[str]:
        """The paths requested from `host` ('127.0.0.1:PORT'), in order, repeats included."""
        return [e.path for e in self.entries() if e.host == host]

    def sent_body(self, url: str) -> bytes | None:
        """The body bytes last sent for `url` (exactly as requested, query included)."""
        with self._lock:
            return self._bodies.get(url)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bodies.clear()


Responder = Callable[[str, str], Resource]
"""(path, query) -> the response for it."""


class PublisherServer(ThreadingHTTPServer):
    """One publisher's server. Binds a free port at once; `serve(responder)` starts answering,
    `switch(responder, round)` changes the answers between requests (a new round)."""

    daemon_threads = True

    def __init__(self, log: RequestLog, handler: type[_Handler] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), handler or _Handler)
        self.log = log
        self.current: tuple[Responder, int] | None = None
        """The responder and the round it serves, swapped as one so no request mixes them."""
        self.software = "nginx"
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address (no network)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    @property
    def host(self) -> str:
        """'127.0.0.1:PORT': the publisher's identity."""
        return f"127.0.0.1:{self.server_address[1]}"

    def serve(self, responder: Responder, software: str, round: int = 0) -> None:
        """Answer every request with `responder`, as a server calling itself `software`."""
        self.switch(responder, round)
        self.software = software
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"simweb-{self.host}"
        )
        self._thread.daemon = True
        self._thread.start()

    def switch(self, responder: Responder, round: int) -> None:
        """Answer with `responder` from the next request on, logged as round `round`."""
        self.current = (responder, round)

    def stop(self) -> None:
        """Stop accepting, close kept-alive connections, release the port."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        with self._open_lock:
            for conn in self._open:
                with contextlib.suppress(OSError):  # already closed by the client
                    conn.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: PublisherServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the RequestLog is the access log."""

    def version_string(self) -> str:
        return self.server.software

    def _answer(self, send_body: bool) -> None:
        assert self.server.current is not None
        responder, round = self.server.current
        parts = urlsplit(self.path)
        resource = self._resource(responder, parts.path or "/", parts.query)
        status, headers, body, encoding = negotiate(resource, self.headers)
        sent = body if send_body else b""
        # Logged before writing: once the client has the response, the log has the request.
        self._record(status, encoding, sent, round, kept=send_body and status != 304)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if sent:
            self.wfile.write(sent)

    def _resource(self, responder: Responder, path: str, query: str) -> Resource:
        """The response before negotiation: what `responder` says (a subclass may read the
        request's headers too)."""
        return responder(path, query)

    def _record(
        self, status: int, encoding: str | None, sent: bytes, round: int, kept: bool
    ) -> None:
        entry = LoggedRequest(
            host=self.server.host,
            method=self.command,
            path=self.path,
            status=status,
            user_agent=self.headers.get("User-Agent", ""),
            content_encoding=encoding,
            body_sha256=hashlib.sha256(sent).hexdigest(),
            time=time.time(),
            round=round,
        )
        url = f"http://{self.server.host}{self.path}"
        self.server.log.record(entry, url, sent if kept else None)


def negotiate(
    resource: Resource, request: Message
) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
    """(status, headers, body, content-encoding) for `resource` given the request's headers:
    304 for a matching If-None-Match / If-Modified-Since, gzip when offered and accepted."""
    headers = [("Content-Type", resource.content_type), *resource.headers]
    body, encoding, etag = resource.body, None, resource.etag
    if resource.gzipped is not None:
        headers.append(("Vary", "Accept-Encoding"))
        if accepts_gzip(request.get("Accept-Encoding", "")):
            body, encoding = resource.gzipped, "gzip"
            headers.append(("Content-Encoding", "gzip"))
            etag = etag and etag[:-1] + '-gzip"'
    if etag is not None:
        headers.append(("ETag", etag))
    if resource.last_modified is not None:
        stamp = format_datetime(resource.last_modified.astimezone(UTC), usegmt=True)
        headers.append(("Last-Modified", stamp))
    if resource.status == 200 and _not_modified(resource, request):
        kept = {"ETag", "Last-Modified", "Vary", "Cache-Control"}
        return 304, [h for h in headers if h[0] in kept], b"", None
    return resource.status, headers, body, encoding


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (q > 0 for gzip, x-gzip or *)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, *params = (p.strip() for p in item.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name.lower()] = weight
    for name in ("gzip", "x-gzip", "*"):
        if name in weights:
            return weights[name] > 0
    return False


def _not_modified(resource: Resource, request: Message) -> bool:
    if_none_match = request.get("If-None-Match")
    if if_none_match is not None and resource.etag is not None:
        base = resource.etag.strip('"')
        tags = {t.strip().removeprefix("W/").strip('"') for t in if_none_match.split(",")}
        return bool(tags & {"*", base, f"{base}-gzip"})
    since = request.get("If-Modified-Since")
    if since is None or resource.last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and resource.last_modified.replace(microsecond=0) <= when
