"""Page requisites: what an article page loads to look as it did (`SimWeb(requisites=True)`).

Every article page of every publisher then links its publisher's stylesheet (which `@import`s a
second one holding an `@font-face` of a real WOFF2 font, and paints a background image with
`url()`), preloads the font, runs a script, shows the publisher's logo and a picture of its own
(`<picture>` with a WebP `<source srcset>`, and an `<img src>` with a three-candidate `srcset`).
The stylesheet, font, script, logo and background are shared by all of a publisher's articles.
Harbor Courier serves its images from a second host, a "CDN" on another port with a robots.txt
of its own. Every requisite answers with an ETag and a Last-Modified, and 304 to a conditional
request that matches. Nothing here adds text to a page: extraction sees the same article.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Literal

from crawler.simweb.images import RGB, png, webp
from crawler.simweb.listings import robots_txt
from crawler.simweb.plan import Placed
from crawler.simweb.server import Resource
from crawler.simweb.sites import Headers
from crawler.simweb.templates import attr

STYLESHEET = "/assets/site.css"
FONT_STYLESHEET = "/assets/fonts.css"
FONT = "/assets/fonts/dejavu-serif-latin.woff2"
"""DejaVu Serif cut to Latin-1 (data/assets/, with its licence)."""
SCRIPT = "/assets/app.js"
LOGO = "assets/logo.png"
BACKGROUND = "assets/paper.png"
"""Image paths, under the host that serves the publisher's images."""
WIDTHS = (320, 640, 960)
CDN_PUBLISHER = "harbor-courier"
"""The publisher whose images come from the CDN host."""
ASSET_TIME = datetime(2025, 1, 15, tzinfo=UTC)
"""The Last-Modified of every requisite."""
FAMILY = "SimSerif"

Kind = Literal["stylesheet", "script", "image", "font"]
_ACCENTS: dict[str, tuple[RGB, RGB]] = {
    "ledgerline": ((11, 93, 59), (244, 239, 226)),
    "harbor-courier": ((10, 61, 98), (236, 242, 247)),
    "wirefront": ((179, 38, 30), (250, 246, 240)),
    "justice-dispatch": ((91, 42, 134), (246, 243, 250)),
    "continental-herald": ((122, 75, 18), (250, 244, 232)),
}
_IMAGE = re.compile(r"images/([0-9a-f]{12})-(\d+)\.(png|webp)")


@dataclass(frozen=True, slots=True)
class Requisite:
    """One thing a page loads."""

    url: str
    kind: Kind
    host: str
    via: str
    """How it is named: 'link-preload', 'link-stylesheet', 'script-src', 'img-src',
    'img-srcset', 'source-srcset', 'css-import', 'css-url' or 'font-face'."""
    parent: str
    """The page or stylesheet that names it."""


def image_id(path: str) -> str:
    """An article's picture, named after its path."""
    return hashlib.blake2s(path.encode(), digest_size=6).hexdigest()


class SiteRequisites:
    """One publisher's requisites: tags for its article pages, and the responses for them."""

    def __init__(
        self, slug: str, name: str, base_url: str, cdn_base: str | None, paths: list[str]
    ) -> None:
        self.slug = slug
        self.name = name
        self.base_url = base_url
        self.image_base = f"{cdn_base}{slug}/" if cdn_base else base_url
        self.ids = frozenset(image_id(p) for p in paths)
        self.accent, self.paper = _ACCENTS[slug]

    def image_url(self, rel: str) -> str:
        """Where an image is fetched from; on the page's own host, as a root-relative path."""
        url = self.image_base + rel
        return url.removeprefix(self.base_url.rstrip("/")) if url.startswith(self.base_url) else url

    def decorate(self, article: Placed, html: str) -> tuple[str, Headers]:
        """The article page with its requisites linked (a `Site` decorator)."""
        head = (
            f'<link rel="preload" href="{FONT}" as="font" type="font/woff2" crossorigin>\n'
            f'<link rel="stylesheet" href="{STYLESHEET}">\n'
            f'<script src="{SCRIPT}" defer></script>\n'
        )
        logo = (
            f'<div class="sim-masthead"><img class="sim-logo" src="{attr(self.image_url(LOGO))}"'
            f' alt="" width="180" height="40"></div>'
        )
        hero = self._hero(image_id(article.path))
        html = html.replace("</head>", head + "</head>", 1)
        html = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + logo, html, count=1)
        at = html.find("</h1>") + len("</h1>")
        return html[:at] + hero + html[at:], ()

    def _hero(self, ident: str) -> str:
        def image(width: int, ext: str = "png") -> str:
            return attr(self.image_url(f"images/{ident}-{width}.{ext}"))

        srcset = ", ".join(f"{image(w)} {w}w" for w in WIDTHS)
        sizes = "(max-width: 700px) 100vw, 640px"
        return (
            '<figure class="sim-hero"><picture>'
            f'<source type="image/webp" srcset="{image(640, "webp")} 640w" sizes="{sizes}">'
            f'<img src="{image(640)}" srcset="{srcset}" sizes="{sizes}" alt="" width="640"'
            ' height="360"></picture></figure>'
        )

    def requisites(self, page_url: str, path: str) -> tuple[Requisite, ...]:
        """What the article page at `page_url` (its `path`) loads, in document order, with what
        its stylesheets load after them."""

        def req(url: str, kind: Kind, via: str, parent: str = page_url) -> Requisite:
            absolute = url if url.startswith("http") else self.base_url + url.lstrip("/")
            return Requisite(absolute, kind, absolute.split("/")[2], via, parent)

        sheet = self.base_url + STYLESHEET.lstrip("/")
        fonts = self.base_url + FONT_STYLESHEET.lstrip("/")
        ident = image_id(path)
        return (
            req(FONT, "font", "link-preload"),
            req(STYLESHEET, "stylesheet", "link-stylesheet"),
            req(FONT_STYLESHEET, "stylesheet", "css-import", sheet),
            req(FONT, "font", "font-face", fonts),
            req(self.image_url(BACKGROUND), "image", "css-url", sheet),
            req(SCRIPT, "script", "script-src"),
            req(self.image_url(LOGO), "image", "img-src"),
            req(self.image_url(f"images/{ident}-640.webp"), "image", "source-srcset"),
            req(self.image_url(f"images/{ident}-640.png"), "image", "img-src"),
            *(
                req(self.image_url(f"images/{ident}-{w}.png"), "image", "img-srcset")
                for w in WIDTHS
            ),
        )

    # -- responses -------------------------------------------------------------------------------

    def serve(self, path: str) -> Resource | None:
        """The requisite at `path` on the publisher's own host, or None."""
        if path == STYLESHEET:
            return _asset("text/css; charset=utf-8", self._stylesheet().encode())
        if path == FONT_STYLESHEET:
            face = (
                f'@font-face{{font-family:"{FAMILY}";src:url("{FONT}") format("woff2");'
                "font-weight:400;font-style:normal;font-display:swap}\n"
            )
            return _asset("text/css; charset=utf-8", face.encode())
        if path == FONT:
            return _asset("font/woff2", _font())
        if path == SCRIPT:
            return _asset("text/javascript; charset=utf-8", _SCRIPT.encode())
        if self.image_base == self.base_url:
            return self.image(path.lstrip("/"))
        return None

    def image(self, rel: str) -> Resource | None:
        """The image at `rel` under the publisher's image host, or None."""
        if rel == LOGO:
            return _asset("image/png", png(180, 40, (self.accent, (255, 255, 255)), 4))
        if rel == BACKGROUND:
            return _asset("image/png", png(16, 16, (self.paper, _shade(self.paper, 0.96)), 2))
        match = _IMAGE.fullmatch(rel)
        if match is None or match.group(1) not in self.ids:
            return None
        ident, width, ext = match.group(1), int(match.group(2)), match.group(3)
        colour = _colour(ident)
        if ext == "webp" and width == 640:
            return _asset("image/webp", webp(640, 360, colour))
        if ext == "png" and width in WIDTHS:
            height = width * 9 // 16
            return _asset("image/png", png(width, height, (colour, _shade(colour)), 3))
        return None

    def _stylesheet(self) -> str:
        accent = "#{:02x}{:02x}{:02x}".format(*self.accent)
        paper = "#{:02x}{:02x}{:02x}".format(*self.paper)
        background = self.image_url(BACKGROUND)
        return (
            f'@import url("{FONT_STYLESHEET}");\n'
            f":root{{--sim-accent:{accent};--sim-paper:{paper}}}\n"
            f'body{{background:var(--sim-paper) url("{background}") repeat;color:#1d1d1d;'
            f'font-family:"{FAMILY}",Georgia,serif;line-height:1.6;margin:0 auto;'
            "max-width:72rem}\n"
            f'h1{{font-family:"{FAMILY}",Georgia,serif;font-size:2.6rem;color:var(--sim-accent);'
            "border-bottom:6px solid var(--sim-accent);padding-bottom:.3em}\n"
            "a{color:var(--sim-accent)}\n"
            ".sim-masthead{background:var(--sim-accent);padding:10px 16px}\n"
            ".sim-hero{margin:1.5rem 0}.sim-hero img{display:block;max-width:100%;height:auto}\n"
            "p{font-size:1.15rem;max-width:44rem}\n"
        )


class CdnSite:
    """The CDN host: the images of `CDN_PUBLISHER`, under `/harbor-courier/`, and its robots.txt
    (which disallows a path no page names)."""

    def __init__(self, sites: list[SiteRequisites]) -> None:
        self._sites = {site.slug: site for site in sites}

    def respond(self, path: str, query: str) -> Resource:
        if path == "/robots.txt":
            return Resource(200, "text/plain; charset=utf-8", robots_txt(["/internal/"]))
        slug, _, rel = path.lstrip("/").partition("/")
        site = self._sites.get(slug)
        found = site.image(rel) if site is not None else None
        return found or Resource(404, "text/plain; charset=utf-8", b"Not Found\n")


_SCRIPT = (
    '(function(){"use strict";var d=document;d.documentElement.className+=" sim-js";'
    'd.addEventListener("DOMContentLoaded",function(){var h=d.querySelector("h1");'
    'if(h){h.setAttribute("data-ready","1")}})}());\n'
)


def _asset(content_type: str, body: bytes) -> Resource:
    etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
    cache = ("Cache-Control", "public, max-age=86400")
    return Resource(200, content_type, body, (cache,), etag=etag, last_modified=ASSET_TIME)


def _font() -> bytes:
    return files("crawler.simweb").joinpath("data", "assets", FONT.rsplit("/", 1)[1]).read_bytes()


def _colour(ident: str) -> RGB:
    raw = bytes.fromhex(ident)
    return (40 + raw[0] % 160, 40 + raw[1] % 160, 40 + raw[2] % 160)


def _shade(colour: RGB, factor: float = 0.8) -> RGB:
    red, green, blue = colour
    return (int(red * factor), int(green * factor), int(blue * factor))


@dataclass(frozen=True)
class RequisiteTruth:
    """What every article page loads (with what its stylesheets load), by page URL."""

    pages: dict[str, tuple[Requisite, ...]]
    cdn: str
    """'http://127.0.0.1:PORT/': the host Harbor Courier's images come from."""

    def urls(self, page: str) -> set[str]:
        """The distinct URLs the page at `page` needs, its stylesheets' included."""
        return {r.url for r in self.pages[page]}

    def shared(self) -> set[str]:
        """URLs more than one page needs: each should be fetched once a crawl."""
        seen: dict[str, int] = {}
        for requisites in self.pages.values():
            for url in {r.url for r in requisites}:
                seen[url] = seen.get(url, 0) + 1
        return {url for url, count in seen.items() if count > 1}
