"""Page weight: the inline CSS, scripts, app state and icons that make real news pages ~110 kB.

Without them the simulated pages would be a few kB of markup and text, and byte-based
measurements (revisit savings, extraction and crawl throughput) would mean nothing. Everything
added is invisible to an extractor: it sits in `<style>`, `<script>` and `<svg>`, never in text.

The bulk of it (stylesheet, bundle, sprite, config) is generated once per publisher from a seed
of its slug; each page adds its own state, seeded by its path. So a page is byte-identical on
every run and in every round until its own content changes. Nothing generated holds a URL: the
only links are the page's own hrefs, inside its state.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from crawler.simweb.templates import View, Weight
from crawler.simweb.weight.css import stylesheet
from crawler.simweb.weight.js import bundle, head_bootstrap
from crawler.simweb.weight.state import SiteState, page_state, site_state
from crawler.simweb.weight.svg import sprite
from crawler.simweb.weight.tokens import class_names, digest

__all__ = ["Profile", "gzip_page", "weigh"]

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
"""No file name, no modification time: the same bytes on every run."""


@dataclass(frozen=True, slots=True)
class Profile:
    """How one publisher's front end carries its weight; sizes are characters, met roughly."""

    naming: str
    """Its class names: 'bem', 'modules' or 'prefixed' (see tokens.class_names)."""
    prefix: str
    """Its class-name prefix ('td-'), where its naming has one."""
    state: str
    """'__NEXT_DATA__' (a JSON script element) or the global its state is assigned to."""
    css: int
    js: int
    """Its bundle; the head's bootstrap is about 1.5 kB on every site."""
    icons: int
    """Symbols in its sprite."""
    config: int
    """Its shared config (flags, experiments, interface strings) in every page's state."""
    layout: int
    """The layout config of its listing pages (a quarter of it on article pages)."""


@dataclass(frozen=True, slots=True)
class _Assets:
    css: str
    head: str
    bundle: str
    sprite: str
    site: SiteState


@cache
def _assets(slug: str, profile: Profile) -> _Assets:
    """A publisher's shared parts, generated once per process: the same on every page."""

    def rng(part: str) -> random.Random:
        return random.Random(f"simweb-weight:{slug}:{part}")

    names = class_names(rng("names"), profile.naming, profile.prefix, 160)
    return _Assets(
        css=stylesheet(rng("css"), names, profile.css),
        head=head_bootstrap(rng("head"), slug.split("-")[0]),
        bundle=bundle(rng("js"), "_" + slug.replace("-", "_"), names, profile.js),
        sprite=sprite(rng("svg"), profile.prefix, profile.icons),
        site=site_state(rng("state"), profile.config),
    )


def weigh(view: View, slug: str, profile: Profile) -> Weight:
    """The weight of one page of publisher `slug`, rendered from `view`."""
    assets = _assets(slug, profile)
    parts = urlsplit(view.canonical)
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    nonce = digest(f"{slug}:nonce:{page}", 22)
    state = page_state(view, slug, page, assets.site, profile.layout)
    event = {"event": "pageview", "pageId": state["page"]["id"], "pageType": state["page"]["type"]}
    head = (
        f'<style id="theme-css">{assets.css}</style>\n'
        f'<script nonce="{nonce}">{assets.head}dataLayer.push({_json(event)});</script>'
    )
    if profile.state == "__NEXT_DATA__":
        data = {"props": {"pageProps": state}, "page": page, "buildId": assets.site.build}
        state_script = f'<script id="__NEXT_DATA__" type="application/json">{_json(data)}</script>'
    else:
        state_script = f'<script nonce="{nonce}">window.{profile.state}={_json(state)};</script>'
    tail = f'{state_script}\n<script nonce="{nonce}">{assets.bundle}</script>'
    return Weight(head=head, top=assets.sprite, tail=tail)


def gzip_page(body: bytes, slug: str, profile: Profile) -> bytes:
    """`body`, a page of publisher `slug`, gzip-compressed (level 6), with its publisher's shared
    parts deflated once rather than on every page: that would be most of the page's render time.
    Each part starts after a full flush, so nothing before it is referenced across it."""
    out = [_GZIP_HEADER]
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = 0
    for raw, deflated in _deflated_assets(slug, profile):
        at = body.find(raw, start)
        if at >= 0:
            out += [compressor.compress(body[start:at]), compressor.flush(zlib.Z_FULL_FLUSH)]
            out.append(deflated)
            start = at + len(raw)
    out += [compressor.compress(body[start:]), compressor.flush()]
    out.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
    return b"".join(out)


@cache
def _deflated_assets(slug: str, profile: Profile) -> list[tuple[bytes, bytes]]:
    """The parts every page of a publisher repeats whole, in page order, each with its raw
    deflate stream ending on a full flush, so that it can stand in any page's stream."""
    assets = _assets(slug, profile)
    out = []
    for part in (assets.css, assets.sprite, assets.bundle):
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        raw = part.encode()
        out.append((raw, compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH)))
    return out


def _json(data: Any) -> str:
    """Compact JSON safe inside `<script>`: no `<` (so no `</script>` or `<!--`), and the two
    line separators JavaScript once rejected escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
