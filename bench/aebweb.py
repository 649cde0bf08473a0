"""A local web of real article pages: the AEB pages, each served under several paths.

Every URL in a page that names a host (in attributes, CSS `url()`, scripts, text) is rewritten to
the local server first, keeping the old host and path under `/x/COPY/`, so that nothing a crawler
or a browser could read in the served pages points anywhere but 127.0.0.1. `check_local` scans a
page for any other host and the server refuses to start if one survives.

Copy `c` of page `id` is served at `/p/c/id.html`; its rewritten links carry the copy number, so
every copy has its own bytes and its own canonical URL, as distinct pages of a real site do. `/`
and `/sitemap.xml` list every page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

from bench import aeb

AEB_DIR = Path(__file__).parent / "data" / "aeb"
COPY = b"{copy}"
"""Where the copy number goes in a rewritten page (inside the path: never in a host)."""

_HOST = r"[A-Za-z0-9_.~%-]+(?::\d+)?"
_ABSOLUTE = re.compile(
    r"(?i)\b(?:https?|wss?|ftps?):(?:\\?/){2}(?P<host>" + _HOST + r")(?P<rest>(?:\\?/)?)"
)
"""A URL with a scheme and a host; also JSON-escaped (`https:\\/\\/host\\/`)."""
_RELATIVE = re.compile(
    r"(?i)(?P<lead>(?:=|url\(|,)\s*[\"']?\s*)"
    r"(?P<slashes>(?:\\?/){2})(?P<host>" + _HOST + r")(?P<rest>(?:\\?/)?)"
)
"""A scheme-relative URL (`//host/path`) at the start of an attribute value, a `url(`, or a
srcset candidate."""
_ANY_HOST = re.compile(
    r"(?i)(?:\b(?:https?|wss?|ftps?):(?:\\?/){2}|(?:=|url\(|,)\s*[\"']?\s*(?:\\?/){2})"
    r"(?P<host>[^/\\\s\"'<>)?#&;]+)"
)
"""What `check_local` looks for: a network URL (web, websocket, FTP) or a scheme-relative one in an
attribute, with whatever stands where its host is (an address in brackets, `user@host`…). App
schemes (`mailto:`, `whatsapp://send?…`) reach no server and are left as they are."""


def rewrite(html: str, local: str) -> str:
    """`html` with every URL that names a host pointing at `local` (`host:port`) instead, the old
    host and path kept below `/x/{copy}/`."""

    def absolute(match: re.Match[str]) -> str:
        if match.group("host") == local:
            return match.group(0)
        slash = "\\/" if "\\/" in match.group(0) else "/"
        prefix = slash.join(["http:", "", local, "x", "{copy}", match.group("host")])
        return prefix + match.group("rest")

    def relative(match: re.Match[str]) -> str:
        slash = "\\/" if "\\" in match.group("slashes") else "/"
        prefix = slash.join(["", "", local, "x", "{copy}", match.group("host")])
        return match.group("lead") + prefix + match.group("rest")

    # Again until nothing changes: a URL inside another (`http://http://host/`) appears only
    # once the outer one is rewritten.
    while (rewritten := _ABSOLUTE.sub(absolute, html)) != html:
        html = rewritten
    return _RELATIVE.sub(relative, html)


def foreign_hosts(html: str, local: str) -> set[str]:
    """Every host other than `local` that a URL in `html` names."""
    return {m.group("host") for m in _ANY_HOST.finditer(html)} - {local}


def check_local(html: str, local: str, name: str) -> None:
    """Refuse a page that still names another host: the bench must not reach the internet."""
    others = foreign_hosts(html, local)
    if others:
        raise AssertionError(f"{name} still links to other hosts: {sorted(others)[:5]}")


@dataclass(frozen=True, slots=True)
class Template:
    """One rewritten AEB page, with `{copy}` where the copy number goes."""

    id: str
    body: bytes

    def render(self, copy: int) -> bytes:
        return self.body.replace(COPY, str(copy).encode())


def templates(local: str, directory: Path = AEB_DIR) -> list[Template]:
    """The AEB pages rewritten for a server at `local`, checked to name no other host."""
    out = []
    for page in aeb.load_pages(directory):
        html = rewrite(page.html.decode("utf-8", errors="replace"), local)
        check_local(html, local, page.id)
        out.append(Template(page.id, html.encode("utf-8")))
    return out


def layout(count: int, ids: list[str]) -> Iterator[tuple[int, str]]:
    """The first `count` (copy, page id) pairs: every page once, then every page again…"""
    for n in range(count):
        yield n // len(ids), ids[n % len(ids)]


def page_path(copy: int, page_id: str) -> str:
    return f"/p/{copy}/{page_id}.html"


class AebWeb:
    """The server, on 127.0.0.1 in a thread of this process; counts what it answered."""

    def __init__(self, pages: int, directory: Path = AEB_DIR) -> None:
        self.pages = pages
        self.directory = directory
        self.served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.templates: list[Template] = []
        self._by_id: dict[str, Template] = {}
        self._rank: dict[str, int] = {}

    @property
    def local(self) -> str:
        if self._server is None:
            raise RuntimeError("start the AebWeb first")
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.local}/"

    def urls(self) -> list[str]:
        ids = [t.id for t in self.templates]
        return [f"http://{self.local}{page_path(c, i)}" for c, i in layout(self.pages, ids)]

    def bodies(self) -> Iterator[tuple[str, bytes]]:
        """(URL, body) of every page, exactly as served."""
        by_id = {t.id: t for t in self.templates}
        for copy, page_id in layout(self.pages, list(by_id)):
            yield f"http://{self.local}{page_path(copy, page_id)}", by_id[page_id].render(copy)

    def story_toml(self, name: str = "aeb-web") -> str:
        """A story whose one source is this web: the home page and the sitemap, one link deep,
        and terms that match nearly every English page, so every article is judged and stored."""
        return (
            f'name = "{name}"\n'
            '[match]\nany = ["the", "a", "and", "of", "to", "in"]\n\n'
            "[[sources]]\n"
            'name = "AEB pages"\n'
            f'url = "{self.base_url}"\n'
            f'sitemaps = ["{self.base_url}sitemap.xml"]\n'
            "follow = 1\n"
        )

    def start(self) -> None:
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, kind, body = web.answer(self.path)
                with web._lock:
                    key = self.path.split("/")[1] if self.path.count("/") > 1 else self.path
                    web.served[key] = web.served.get(key, 0) + 1
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.templates = templates(self.local, self.directory)
        self._by_id = {t.id: t for t in self.templates}
        self._rank = {t.id: n for n, t in enumerate(self.templates)}
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, path: str) -> tuple[int, str, bytes]:
        html = "text/html; charset=utf-8"
        if path == "/":
            links = "\n".join(f'<li><a href="{u}">{u}</a></li>' for u in self.urls())
            return 200, html, f"<html><body><ul>\n{links}\n</ul></body></html>".encode()
        if path == "/sitemap.xml":
            locs = "".join(f"<url><loc>{u}</loc></url>\n" for u in self.urls())
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{locs}</urlset>\n"
            )
            return 200, "application/xml", xml.encode()
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        match = re.fullmatch(r"/p/(\d+)/([^/]+)\.html", path)
        if match and match.group(2) in self._by_id:
            copy = int(match.group(1))
            index = copy * len(self.templates) + self._rank[match.group(2)]
            if index < self.pages:
                return 200, html, self._by_id[match.group(2)].render(copy)
        return 404, "text/plain", b"not here\n"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
