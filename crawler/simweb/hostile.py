"""The hostile publisher: a site that attacks the crawler, for `SimWeb(hostile_publisher=True)`.

Everything it serves is reachable from its home page, feeds, sitemap index or robots.txt, and
each attack has a name (`ATTACKS`): decompression bombs, XML bombs, endless and slow bodies,
redirect loops and chains, redirects and links to internal addresses (loopback only: 127.0.0.2
and port 1 of 127.0.0.1, where nothing listens), 100 kB URLs, broken encodings, malformed HTML,
feeds and sitemaps, a sitemap index listing itself and a 10 MiB robots.txt. Large bodies are
generated while they are sent, never held whole: the bombs are a few MB on the wire, and are
built once per process, the first time they are asked for.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
import zlib
from collections.abc import Callable
from functools import cached_property
from html import escape
from typing import Any
from urllib.parse import urlsplit

import brotli

from crawler.simweb.listings import SITEMAP_NS, XML_HEAD
from crawler.simweb.publishers import HOSTILE
from crawler.simweb.server import PublisherServer, RequestLog, Resource, _Handler

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

BOMB_SIZE = 2 * 1024**3
"""Bytes each decompression bomb expands to."""
HUGE_SIZE = 1024**3
"""Bytes of the endless responses."""
LONG_URL_LENGTH = 100_000
"""Characters of the URL the home page links to."""
LONG_REDIRECT_LENGTH = 8_000
"""Characters of the URL a redirect leads to: over URLLENGTH_LIMIT, but a Location header
clients still read (Twisted's and Python's refuse header lines of 16 or 64 KiB)."""
CHAIN_LENGTH = 50
"""Redirects in the long chain; more than any sane REDIRECT_MAX_TIMES."""
ROBOTS_SIZE = 10 * 1024**2
CLOSED_PORT = 1
"""A loopback port where nothing listens (tcpmux, never served): a stand-in for an internal
service the crawler must not be redirected to."""
_MiB = b"\0" * 1024**2

ATTACKS: dict[str, str] = {
    "gzip-bomb": "/bomb/gzip",
    "deflate-bomb": "/bomb/deflate",
    "brotli-bomb": "/bomb/br",
    "feed-xml-bomb": "/feed-bomb.xml",
    "sitemap-xml-bomb": "/sitemap-bomb.xml",
    "sitemap-gzip-bomb": "/sitemap-bomb.xml.gz",
    "huge-with-length": "/huge/length",
    "huge-streamed": "/huge/stream",
    "slow-loris": "/slow",
    "redirect-loop": "/redirect/loop-a",
    "redirect-self": "/redirect/self",
    "redirect-chain": "/redirect/chain/0",
    "redirect-internal": "/redirect/internal",
    "redirect-closed-port": "/redirect/closed-port",
    "redirect-long-url": "/redirect/long-url",
    "invalid-utf8": "/enc/invalid-utf8",
    "wrong-charset": "/enc/wrong-charset",
    "conflicting-charsets": "/enc/conflicting",
    "utf16-undeclared": "/enc/utf16",
    "malformed-html": "/malformed/unclosed",
    "binary-as-html": "/malformed/binary",
    "deep-nesting": "/malformed/nested",
    "malformed-feed": "/feed-malformed.xml",
    "mislabelled-feed": "/feed-mislabelled.xml",
    "malformed-sitemap": "/sitemap-malformed.xml",
    "invalid-utf8-sitemap": "/sitemap-invalid-utf8.xml",
    "sitemap-self-index": "/sitemap.xml",
    "huge-robots": "/robots.txt",
}
"""Attack name -> the path that serves it."""

FEEDS = ("/feed-bomb.xml", "/feed-malformed.xml", "/feed-mislabelled.xml")
"""The feeds the story file names."""
NOT_LINKED = {
    "feed-xml-bomb",
    "malformed-feed",
    "mislabelled-feed",
    "sitemap-xml-bomb",
    "sitemap-gzip-bomb",
    "malformed-sitemap",
    "invalid-utf8-sitemap",
    "sitemap-self-index",
    "huge-robots",
}
"""Attacks reached through the story file's feeds and sitemap or robots.txt, not the home page."""

AFTER_BOMB = {"feed": "/after-feed-bomb", "sitemap": "/after-sitemap-bomb"}
"""Plain pages listed after the entity references of the XML bombs: fetched only if the parser
went past them without expanding."""
BEYOND_ROBOTS_LIMIT = "/sitemap-beyond-robots-limit.xml"
"""Named by a `Sitemap:` line at the end of the 10 MiB robots.txt, past any sane read limit."""
ROBOTS_SITEMAP = "/sitemap-robots.xml"
"""Named at the start of robots.txt: read however little of it is read."""


def _text(words: int) -> str:
    sentence = "The harbour authority said the new quay would open to ferries in the spring. "
    return sentence * (words // 14 + 1)


def _page(title: str, body: str, charset_meta: str = "") -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return (
        f"<!DOCTYPE html><html lang=en><head>{meta}<title>{escape(title)}</title></head>"
        f"<body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    )


def billion_laughs(body: str) -> bytes:
    """An XML document whose DOCTYPE defines `&lol9;`, 10⁹ 'lol's once expanded, then `body`."""
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = f"&lol{level - 1 if level > 1 else ''};"
        entities.append(f'<!ENTITY lol{level} "{previous * 10}">')
    doctype = "<!DOCTYPE lolz [\n" + "\n".join(entities) + "\n]>\n"
    return (XML_HEAD + doctype + body).encode()


class _Bombs:
    """Decompression bombs, built once (a second or two) when first asked for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[str, bytes] = {}

    def prepare(self) -> None:
        """Build them all in a background thread, so the first request need not wait."""
        threading.Thread(target=lambda: [self.get(c) for c in _BUILDERS], daemon=True).start()

    def get(self, coding: str) -> bytes:
        with self._lock:
            if coding not in self._built:
                self._built[coding] = _BUILDERS[coding]()
            return self._built[coding]


def zlib_bomb(wbits: int, size: int = BOMB_SIZE) -> bytes:
    """`size` zero bytes deflated, as gzip (wbits 31) or zlib (15), without compressing them all:
    after a full flush the compressor's output for the next MiB of zeros is always the same block,
    so the stream is one header block, that block repeated, and a trailer computed here."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = compressor.compress(_MiB) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(_MiB) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks = size // len(_MiB)
    end = compressor.flush(zlib.Z_FINISH)
    if wbits == 31:
        crc = 0
        for _ in range(blocks):
            crc = zlib.crc32(_MiB, crc)
        trailer = end[:-8] + struct.pack("<II", crc, size & 0xFFFFFFFF)
    else:
        adler = 1
        for _ in range(blocks):
            adler = zlib.adler32(_MiB, adler)
        trailer = end[:-4] + struct.pack(">I", adler)
    return head + block * (blocks - 1) + trailer


def brotli_bomb(size: int = BOMB_SIZE) -> bytes:
    compressor = brotli.Compressor(quality=1, lgwin=24)
    parts = [compressor.process(_MiB) for _ in range(size // len(_MiB))]
    return b"".join(parts) + bytes(compressor.finish())


_BUILDERS: dict[str, Callable[[], bytes]] = {
    "gzip": lambda: zlib_bomb(31),
    "deflate": lambda: zlib_bomb(15),
    "br": brotli_bomb,
}
BOMBS = _Bombs()


class HostileSite:
    """The hostile publisher at `base_url` ('http://127.0.0.1:PORT/')."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.port = urlsplit(base_url).port

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    @property
    def feeds(self) -> list[str]:
        return [self.url(p) for p in FEEDS]

    @property
    def sitemaps(self) -> list[str]:
        return [self.url("/sitemap.xml")]

    @property
    def attacks(self) -> dict[str, str]:
        """Attack name -> its URL."""
        return {name: self.url(path) for name, path in ATTACKS.items()}

    @property
    def internal_links(self) -> list[str]:
        """Links on the home page to other hosts of this machine (never to be fetched)."""
        return [
            f"http://127.0.0.2:{self.port}/",
            f"http://127.0.0.1:{CLOSED_PORT}/admin",
            f"http://[::1]:{self.port}/",
        ]

    @property
    def long_url(self) -> str:
        return self.url("/long/" + "a" * LONG_URL_LENGTH)

    @property
    def long_redirect_url(self) -> str:
        return self.url("/long/" + "b" * LONG_REDIRECT_LENGTH)

    def respond(self, path: str, query: str) -> Resource:
        route = self._routes.get(path)
        if route is not None:
            return route()
        if path.startswith("/redirect/chain/"):
            step = path.rsplit("/", 1)[1]
            if step.isdigit() and int(step) < CHAIN_LENGTH:
                return _redirect(f"/redirect/chain/{int(step) + 1}")
            return Resource(200, HTML, _page("End of the chain", "<p>Reached.</p>").encode())
        if path.startswith("/long/"):
            return Resource(200, HTML, _page("Long", "<p>A long URL.</p>").encode())
        return Resource(404, HTML, _page("Not found", "<p>No such page.</p>").encode())

    @cached_property
    def _routes(self) -> dict[str, Callable[[], Resource]]:
        return {
            "/": self._home,
            "/robots.txt": self._robots,
            "/bomb/gzip": lambda: _bomb("gzip"),
            "/bomb/deflate": lambda: _bomb("deflate"),
            "/bomb/br": lambda: _bomb("br"),
            "/feed-bomb.xml": self._feed_bomb,
            "/sitemap-bomb.xml": self._sitemap_bomb,
            "/sitemap-bomb.xml.gz": lambda: Resource(200, "application/gzip", BOMBS.get("gzip")),
            "/redirect/loop-a": lambda: _redirect("/redirect/loop-b"),
            "/redirect/loop-b": lambda: _redirect("/redirect/loop-a"),
            "/redirect/self": lambda: _redirect("/redirect/self"),
            "/redirect/internal": lambda: _redirect(f"http://127.0.0.2:{self.port}/"),
            "/redirect/closed-port": lambda: _redirect(f"http://127.0.0.1:{CLOSED_PORT}/admin"),
            "/redirect/long-url": lambda: _redirect(self.long_redirect_url),
            "/enc/invalid-utf8": self._invalid_utf8,
            "/enc/wrong-charset": self._wrong_charset,
            "/enc/conflicting": self._conflicting,
            "/enc/utf16": self._utf16,
            "/malformed/unclosed": self._unclosed,
            "/malformed/binary": self._binary,
            "/malformed/nested": self._nested,
            "/feed-malformed.xml": self._feed_malformed,
            "/feed-mislabelled.xml": self._feed_mislabelled,
            "/sitemap.xml": self._sitemap_index,
            "/sitemap-malformed.xml": self._sitemap_malformed,
            "/sitemap-invalid-utf8.xml": self._sitemap_invalid_utf8,
            ROBOTS_SITEMAP: lambda: self._urlset([AFTER_BOMB["sitemap"]]),
            BEYOND_ROBOTS_LIMIT: lambda: self._urlset(["/beyond-robots-limit"]),
            AFTER_BOMB["feed"]: lambda: _article("After the feed bomb"),
            AFTER_BOMB["sitemap"]: lambda: _article("After the sitemap bomb"),
        }

    # -- pages ---------------------------------------------------------------------------------

    def _home(self) -> Resource:
        paths = [path for name, path in ATTACKS.items() if name not in NOT_LINKED]
        links = [*paths, *self.internal_links, self.long_url]
        items = "".join(f'<li><a href="{escape(h)}">{escape(h[:60])}</a></li>' for h in links)
        return Resource(200, HTML, _page(HOSTILE.name, f"<ul>{items}</ul>").encode())

    def _robots(self) -> Resource:
        head = (
            f"User-agent: *\nAllow: /\nSitemap: {self.url(ROBOTS_SITEMAP)}\n"
            "# what follows is padding, as a hostile or broken site might send\n"
        )
        tail = f"Sitemap: {self.url(BEYOND_ROBOTS_LIMIT)}\n"
        line_count = (ROBOTS_SIZE - len(head) - len(tail)) // len("Disallow: /nothing-here/0/\n")
        padding = "".join(f"Disallow: /nothing-here/{n % 10}/\n" for n in range(line_count))
        return Resource(200, "text/plain; charset=utf-8", (head + padding + tail).encode())

    def _invalid_utf8(self) -> Resource:
        body = _page("Invalid UTF-8", f"<p>{_text(120)}</p>").encode()
        broken = body.replace(b"quay", b"qu\xff\xfe\xc3y", 5).replace(b"ferries", b"ferr\xe9es")
        return Resource(200, HTML, broken)

    def _wrong_charset(self) -> Resource:
        """Declared UTF-8, written in windows-1252 (curly quotes and an e acute)."""
        text = f"<p>\u201cCaf\u00e9 owners\u201d said {_text(120)}</p>"
        return Resource(200, HTML, _page("Wrong charset", text).encode("windows-1252"))

    def _conflicting(self) -> Resource:
        """The header says ISO-8859-1, a meta tag says Shift_JIS, the bytes are UTF-8."""
        text = f"<p>Gr\u00fc\u00dfe aus \u6771\u4eac. {_text(120)}</p>"
        body = _page("Conflicting charsets", text, charset_meta="Shift_JIS").encode()
        return Resource(200, "text/html; charset=iso-8859-1", body)

    def _utf16(self) -> Resource:
        """UTF-16 without a byte order mark, with no charset anywhere."""
        body = _page("UTF-16", f"<p>{_text(120)}</p>").encode("utf-16-le")
        return Resource(200, "text/html", body)

    def _unclosed(self) -> Resource:
        body = (
            "<html><head><title>Unclosed<body><div><p>"
            + _text(150)
            + "<table><tr><td><p><b><i><a href='/mal"
        )
        return Resource(200, HTML, body.encode())

    def _binary(self) -> Resource:
        noise = bytes((n * 7919 + 13) % 256 for n in range(64 * 1024))
        return Resource(200, HTML, noise)

    def _nested(self) -> Resource:
        depth = 5000
        body = "<div>" * depth + f"<p>{_text(120)}</p>" + "</div>" * depth
        return Resource(200, HTML, _page("Deeply nested", body).encode())

    # -- feeds and sitemaps --------------------------------------------------------------------

    def _feed_bomb(self) -> Resource:
        rss = (
            "<rss version='2.0'><channel><title>&lol9;</title><link>/</link>"
            "<item><title>&lol9;</title><description>&lol9;</description>"
            f"<link>{self.url(AFTER_BOMB['feed'])}</link>"
            "<pubDate>Tue, 04 Feb 2025 10:00:00 +0000</pubDate></item></channel></rss>"
        )
        return Resource(200, "application/rss+xml", billion_laughs(rss))

    def _sitemap_bomb(self) -> Resource:
        urlset = (
            f'<urlset xmlns="{SITEMAP_NS}"><url><loc>{self.url(AFTER_BOMB["sitemap"])}</loc>'
            "</url><url><loc>&lol9;</loc></url></urlset>"
        )
        return Resource(200, XML, billion_laughs(urlset))

    def _feed_malformed(self) -> Resource:
        body = "<?xml version='1.0'?><rss version='2.0'><channel><item><title>Cut <link>/x"
        return Resource(200, "application/rss+xml", body.encode() + b"\x00\x01\x02<<<>>>")

    def _feed_mislabelled(self) -> Resource:
        """Says UTF-8 in its XML declaration and header, is windows-1252."""
        rss = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            "<title>\u201cMislabelled\u201d</title><link>/</link><item>"
            f"<title>Caf\u00e9 \u2013 news</title><link>{self.url('/enc/wrong-charset')}</link>"
            "<pubDate>Tue, 04 Feb 2025 10:00:00 +0000</pubDate></item></channel></rss>"
        )
        return Resource(200, "application/rss+xml; charset=utf-8", rss.encode("windows-1252"))

    def _sitemap_index(self) -> Resource:
        children = [
            "/sitemap.xml",
            "/sitemap-bomb.xml",
            "/sitemap-bomb.xml.gz",
            "/sitemap-malformed.xml",
            "/sitemap-invalid-utf8.xml",
        ]
        entries = "".join(f"<sitemap><loc>{self.url(c)}</loc></sitemap>" for c in children)
        body = f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>'
        return Resource(200, XML, body.encode())

    def _urlset(self, paths: list[str]) -> Resource:
        entries = "".join(f"<url><loc>{self.url(p)}</loc></url>" for p in paths)
        body = f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">{entries}</urlset>'
        return Resource(200, XML, body.encode())

    def _sitemap_malformed(self) -> Resource:
        body = f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}"><url><loc>{self.url("/malformed/")}'
        return Resource(200, XML, body.encode() + b"</lo<<url>&&&")

    def _sitemap_invalid_utf8(self) -> Resource:
        loc = self.url("/enc/invalid-utf8").encode()
        body = (
            f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}"><url><loc>'.encode()
            + loc
            + b"</loc><lastmod>2025-02-0\xff\xfe</lastmod></url></urlset>"
        )
        return Resource(200, XML, body)


def _bomb(coding: str) -> Resource:
    body = BOMBS.get(coding)
    return Resource(200, HTML, body, headers=(("Content-Encoding", coding),))


def _redirect(location: str) -> Resource:
    return Resource(302, HTML, b"", headers=(("Location", location),))


def _article(title: str) -> Resource:
    return Resource(200, HTML, _page(title, f"<p>{_text(120)}</p>").encode())


# -- streamed answers ------------------------------------------------------------------------


class HostileHandler(_Handler):
    """Streams the endless and the slow bodies; everything else is a `Resource`."""

    def _answer(self, send_body: bool) -> None:
        stream = _STREAMS.get(urlsplit(self.path).path)
        if stream is None:
            super()._answer(send_body)
            return
        assert self.server.current is not None
        self._record(200, None, b"", self.server.current[1], kept=False)
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client went away: what it should do
            stream(self, send_body)

    def huge(self, send_body: bool, *, length: bool) -> None:
        """HUGE_SIZE bytes of HTML-ish filler, with a Content-Length or until the connection
        closes, generated chunk by chunk."""
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        if length:
            self.send_header("Content-Length", str(HUGE_SIZE))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        if not send_body:
            return
        chunk = (b"<p>" + _text(8000).encode() + b"</p>\n")[: 64 * 1024]
        sent = 0
        while sent < HUGE_SIZE:
            part = chunk[: HUGE_SIZE - sent]
            self.wfile.write(part)
            sent += len(part)

    def slow(self, send_body: bool) -> None:
        """Headers at once, then one byte a second for as long as the client listens."""
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", str(1024**2))
        self.end_headers()
        self.wfile.flush()
        while send_body:
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(1)


_STREAMS: dict[str, Callable[[HostileHandler, bool], None]] = {
    "/huge/length": lambda h, send: h.huge(send, length=True),
    "/huge/stream": lambda h, send: h.huge(send, length=False),
    "/slow": HostileHandler.slow,
}


class HostileServer(PublisherServer):
    """The hostile publisher's server."""

    def __init__(self, log: RequestLog) -> None:
        super().__init__(log, handler=HostileHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a crawler that hangs up on a bomb or a huge body is what the site expects."""
