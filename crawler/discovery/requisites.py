"""What a page needs to look as it did: its stylesheets, images, fonts and scripts (docs/crawling.md
#page-requisites). Pure: HTML and CSS text in, absolute http(s) URLs out, in document order,
each once.

From HTML: `<link rel=stylesheet href>`, `<link rel=preload|modulepreload href>` (any `as`),
`<link rel=icon href>`, `<script src>`, `<img src>` and `<img srcset>` / `<source srcset>` (the
largest candidate: the highest width `w`, else density `x`), `<video poster>`, and the `url()`s of
`style` attributes and `<style>` elements. From CSS: `@import` (with or without `url()`) and
every `url()` (fonts, backgrounds), `data:` URLs left out. A `<base href>` is honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin, urlsplit

Kind = Literal["stylesheet", "image", "font", "script", "preload", "icon", "css-url"]


@dataclass(frozen=True, slots=True)
class Needed:
    url: str
    kind: Kind


_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf", ".eot")


def _absolute(base: str, ref: str) -> str | None:
    ref = ref.strip()
    if not ref or ref.startswith(("data:", "#", "javascript:", "about:", "blob:")):
        return None
    try:
        url = urljoin(base, ref)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url.split("#", 1)[0]


def largest_candidate(srcset: str) -> str | None:
    """The largest candidate of a `srcset`: the highest width descriptor, else the highest
    density; a candidate without a descriptor counts as `1x`."""
    best: tuple[int, float, str] | None = None
    for candidate in srcset.split(","):
        bits = candidate.strip().split()
        if not bits:
            continue
        url, descriptor = bits[0], (bits[1].lower() if len(bits) > 1 else "1x")
        try:
            if descriptor.endswith("w"):
                key = (1, float(descriptor[:-1]), url)
            elif descriptor.endswith("x"):
                key = (0, float(descriptor[:-1]), url)
            else:
                continue
        except ValueError:
            continue
        if best is None or key[:2] > best[:2]:
            best = (key[0], key[1], url)
    return None if best is None else best[2]


def css_requisites(css: str, base: str) -> list[Needed]:
    """The `@import`s and `url()`s of a stylesheet (`base`: its URL), in order, each once."""
    css = _CSS_COMMENT.sub("", css)
    found: list[Needed] = []
    for match in _CSS_IMPORT.finditer(css):
        url = _absolute(base, match.group(1) or match.group(2) or "")
        if url:
            found.append(Needed(url, "stylesheet"))
    for match in _CSS_URL.finditer(css):
        ref = match.group(1) or match.group(2) or match.group(3) or ""
        url = _absolute(base, ref)
        if not url:
            continue
        before = css[max(0, match.start() - 12) : match.start()].lower()
        path = urlsplit(url).path.lower()
        if "@import" in before:
            kind: Kind = "stylesheet"
        elif path.endswith(_FONT_SUFFIXES):
            kind = "font"
        else:
            kind = "css-url"
        found.append(Needed(url, kind))
    return _once(found)


FINDER_VERSION = 1
"""The version of what `page_requisites` finds: raise it when it finds more (another tag,
attribute or kind), so that a page stored as having all its requisites archived is read again
by the next crawl and asks for the new ones (`page_requisites` rows of another version count
as unknown)."""


def page_requisites(html: str, base: str) -> list[Needed]:
    """What the page at `base` loads, in document order, each URL once."""
    parser = _Parser(base)
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    return _once(parser.found)


def _once(found: list[Needed]) -> list[Needed]:
    seen: set[str] = set()
    out = []
    for item in found:
        if item.url not in seen:
            seen.add(item.url)
            out.append(item)
    return out


class _Parser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[Needed] = []
        self._in_style = False

    def _add(self, ref: str | None, kind: Kind) -> None:
        url = _absolute(self.base, ref or "")
        if url:
            self.found.append(Needed(url, kind))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name.lower(): value or "" for name, value in attrs}
        if tag == "base" and a.get("href"):
            self.base = _absolute(self.base, a["href"]) or self.base
        elif tag == "link":
            rel = a.get("rel", "").lower().split()
            if "stylesheet" in rel:
                self._add(a.get("href"), "stylesheet")
            elif "preload" in rel or "modulepreload" in rel:
                kind: Kind = "font" if a.get("as", "").lower() == "font" else "preload"
                self._add(a.get("href"), kind)
            elif "icon" in rel:
                self._add(a.get("href"), "icon")
        elif tag == "script" and a.get("src"):
            self._add(a["src"], "script")
        elif tag in ("img", "source"):
            if a.get("srcset"):
                self._add(largest_candidate(a["srcset"]), "image")
            if tag == "img" and a.get("src"):
                self._add(a["src"], "image")
        elif tag == "video" and a.get("poster"):
            self._add(a["poster"], "image")
        elif tag == "style":
            self._in_style = True
        if a.get("style"):
            self.found += css_requisites(a["style"], self.base)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += css_requisites(data, self.base)
