"""The web archives on loopback: a Wayback Machine, a Common Crawl index and its data server,
each on its own port of 127.0.0.1, serving the captures of archive.py.

- Wayback: `/cdx/search/cdx` (cdx.py), raw replay `/web/{timestamp}id_/{url}` (the archived
  status, body and Content-Type; the other archived headers as `X-Archive-Orig-*`, with
  `Memento-Datetime` and a `Link` to the original), a 302 to the nearest capture's `id_` URL for
  any other timestamp or mode, and a robots.txt of its own.
- Common Crawl index: `/CC-MAIN-2025-08-index` (cdx.py) and `/collinfo.json`.
- Common Crawl data: the gzipped WARC files (one gzip member per record) at the `filename`s the
  index gives, answering `Range: bytes=a-b` with 206 Partial Content.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from crawler.simweb.archive import COLLECTION, ArchiveCapture
from crawler.simweb.cdx import JSON, TEXT, cc_query, urlkey, wayback_query
from crawler.simweb.server import PublisherServer, RequestLog, Resource, Responder, _Handler

HTML = "text/html; charset=utf-8"
_REPLAY = re.compile(r"/web/(\d{1,14})([a-z]{2}_)?/(.+)")
_FILLER = "20000101000000"
"""The digits a partial timestamp is read with (a year alone is its 1 January)."""
FILES_TIME = datetime(2025, 2, 21, 6, tzinfo=UTC)


def _not_found(text: str) -> Resource:
    page = f"<!DOCTYPE html><html lang=en><title>Not found</title><p>{text}</p></html>"
    return Resource(404, HTML, page.encode())


class WaybackSite:
    """The Wayback Machine of the simulated web, at `base_url`."""

    def __init__(self, captures: Sequence[ArchiveCapture], base_url: str) -> None:
        self.base_url = base_url
        self.captures = [c for c in captures if c.archive == "wayback"]

    def respond(self, path: str, query: str) -> Resource:
        if path == "/robots.txt":
            robots = "User-agent: *\nDisallow: /save/\nDisallow: /account/\nAllow: /\n"
            return Resource(200, "text/plain; charset=utf-8", robots.encode())
        if path == "/cdx/search/cdx":
            status, content_type, body = wayback_query(self.captures, query)
            return Resource(status, content_type, body)
        match = _REPLAY.fullmatch(path)
        if match is None:
            return _not_found("This page is not part of the simulated archive.")
        stamp, mode, url = match.groups()
        return self._replay(stamp, mode or "", url + (f"?{query}" if query else ""))

    def _replay(self, stamp: str, mode: str, url: str) -> Resource:
        url = re.sub(r"^(https?:)/+", r"\1//", url)  # a client may have merged the slashes
        key = urlkey(url)
        found = [c for c in self.captures if urlkey(c.url) == key]
        wanted = _when(stamp + _FILLER[len(stamp) :])
        if not found or wanted is None:
            return _not_found("The Wayback Machine has not archived that URL.")
        nearest = min(found, key=lambda c: (abs(_when(c.timestamp) - wanted), c.timestamp))  # type: ignore[operator]
        if nearest.timestamp != stamp or mode != "id_":
            location = f"{self.base_url}web/{nearest.timestamp}id_/{nearest.url}"
            return Resource(302, HTML, b"", (("Location", location),))
        return self._memento(nearest)

    def _memento(self, capture: ArchiveCapture) -> Resource:
        when = _when(capture.timestamp)
        assert when is not None
        headers: list[tuple[str, str]] = []
        content_type = "application/octet-stream"
        for name, value in capture.headers:
            if name.lower() == "content-type":
                content_type = value
            elif name.lower() == "location":
                target = f"{self.base_url}web/{capture.timestamp}id_/{value}"
                headers += [("Location", target), ("X-Archive-Orig-Location", value)]
            else:
                headers.append((f"X-Archive-Orig-{name}", value))
        headers += [
            ("Memento-Datetime", format_datetime(when, usegmt=True)),
            ("Link", f'<{capture.url}>; rel="original"'),
        ]
        return Resource(capture.status, content_type, capture.body, tuple(headers))


def _when(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


class CcIndexSite:
    """A Common Crawl index server holding one collection."""

    def __init__(self, captures: Sequence[ArchiveCapture], base_url: str) -> None:
        self.base_url = base_url
        self.captures = [c for c in captures if c.archive == "cc"]

    def respond(self, path: str, query: str) -> Resource:
        if path == f"/{COLLECTION}-index":
            status, content_type, body = cc_query(self.captures, query)
            return Resource(status, content_type, body)
        if path == "/collinfo.json":
            info = [
                {
                    "id": COLLECTION,
                    "name": "February 2025 Index",
                    "cdx-api": f"{self.base_url}{COLLECTION}-index",
                    "from": "2025-02-06T10:30:28",
                    "to": "2025-02-20T03:11:54",
                }
            ]
            return Resource(200, JSON, json.dumps(info).encode())
        if path == "/robots.txt":
            return Resource(200, TEXT, b"User-agent: *\nAllow: /\n")
        return _not_found("No such collection.")


class CcDataSite:
    """The data server: the WARC files by path."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = {"/" + name: body for name, body in files.items() if name.startswith("crawl")}

    def respond(self, path: str, query: str) -> Resource:
        body = self.files.get(path)
        if path == "/robots.txt":
            return Resource(200, TEXT, b"User-agent: *\nAllow: /\n")
        if body is None:
            return Resource(404, "application/xml", b"<Error><Code>NoSuchKey</Code></Error>")
        return Resource(
            200,
            "application/octet-stream",
            body,
            (("Accept-Ranges", "bytes"),),
            etag=f'"{hashlib.md5(body).hexdigest()}"',
            last_modified=FILES_TIME,
        )


def byte_range(resource: Resource, header: str) -> Resource:
    """`resource` cut to one `bytes=a-b`, `bytes=a-` or `bytes=-n` range (206), 416 when it
    starts past the end; other forms (several ranges, other units) are ignored: the whole 200."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    size = len(resource.body)
    if match is None or match.groups() == ("", ""):
        return resource
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return resource
    else:
        start, end = max(size - int(last), 0), size - 1
    if start >= size:
        return Resource(416, TEXT, b"", (("Content-Range", f"bytes */{size}"),))
    headers = (*resource.headers, ("Content-Range", f"bytes {start}-{end}/{size}"))
    return Resource(
        206,
        resource.content_type,
        resource.body[start : end + 1],
        headers,
        etag=resource.etag,
        last_modified=resource.last_modified,
    )


class _RangeHandler(_Handler):
    def _resource(self, responder: Responder, path: str, query: str) -> Resource:
        resource = responder(path, query)
        header = self.headers.get("Range")
        return byte_range(resource, header) if header and resource.status == 200 else resource


class DataServer(PublisherServer):
    """A server that answers Range requests."""

    def __init__(self, log: RequestLog) -> None:
        super().__init__(log, handler=_RangeHandler)
