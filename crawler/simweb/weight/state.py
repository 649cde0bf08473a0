"""The JSON app state a page ships for its scripts (`__NEXT_DATA__`, `window.__INITIAL_STATE__`):
the site's navigation and config, the page's teasers and layout, and on article pages the
article's own fields, body included, as server-rendered news sites hydrate them.

Page parts are derived from the page's view and seeded by its path, never by a round or a
request, so a page's state changes only when the page does. Links are the page's own hrefs
(relative, or absolute on its own host); images are described, never addressed.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.simweb.templates import ArticleView, LinkView, View
from crawler.simweb.weight.tokens import MODIFIERS, camel, digest, kebab, token, word

_REGIONS = ("grid", "rail", "carousel", "strip", "list", "hero", "ticker")
_STYLE_KEYS = ("align", "theme", "density", "spacing", "background", "divider", "emphasis")
_SLOTS = ("headline", "image", "kicker", "summary", "byline", "timestamp", "badge", "action")
_AD_SIZES = ((728, 90), (970, 250), (300, 250), (300, 600), (320, 50), (336, 280), (160, 600))


@dataclass(frozen=True, slots=True)
class SiteState:
    """The parts of the state every page of a site shares."""

    build: str
    network: int
    """The ad network id in ad unit paths."""
    config: dict[str, Any]
    """Feature flags, experiments and the interface strings."""
    modules: tuple[tuple[dict[str, Any], int], ...]
    """The page-builder modules its pages are laid out from, each with its size in JSON."""


def site_state(rng: random.Random, size: int) -> SiteState:
    """A site's shared state, its config about `size` characters of JSON."""
    flags = {
        camel(rng, 3): {"enabled": rng.random() < 0.6, "rollout": rng.choice((0, 10, 50, 100))}
        for _ in range(rng.randint(20, 40))
    }
    experiments = {
        f"exp-{kebab(rng)}": {"variant": rng.choice("abcd"), "weight": rng.randint(1, 99)}
        for _ in range(rng.randint(4, 12))
    }
    strings: dict[str, str] = {}
    namespaces = [word(rng) for _ in range(8)]
    config: dict[str, Any] = {"flags": flags, "experiments": experiments, "strings": strings}
    length = len(json.dumps(config))
    while length < size:
        key = f"{rng.choice(namespaces)}.{camel(rng)}"
        phrase = " ".join(word(rng) for _ in range(rng.randint(1, 5))).capitalize()
        strings[key] = phrase
        length += len(key) + len(phrase) + 6
    modules = tuple(_module(rng) for _ in range(48))
    return SiteState(
        token(rng, 21),
        rng.randint(10000, 99999),
        config,
        tuple((m, len(json.dumps(m))) for m in modules),
    )


def _module(rng: random.Random) -> dict[str, Any]:
    return {
        "id": f"{rng.choice(_REGIONS)}-{token(rng, 6)}",
        "type": rng.choice(_REGIONS),
        "columns": {bp: rng.randint(1, 4) for bp in ("sm", "md", "lg", "xl")},
        "style": {key: rng.choice(MODIFIERS) for key in rng.sample(_STYLE_KEYS, 3)},
        "slots": [
            {"name": name, "span": rng.choice((3, 4, 6, 12)), "order": n}
            for n, name in enumerate(rng.sample(_SLOTS, rng.randint(2, 6)))
        ],
        "lazy": rng.random() < 0.5,
    }


def page_state(view: View, slug: str, page: str, site: SiteState, layout: int) -> dict[str, Any]:
    """The state of the page `page` (its path and query) of publisher `slug`; `layout` sizes
    the layout of listing pages, whose page-builder modules make them heavier."""
    kind = _kind(view, page)
    rng = random.Random(f"simweb-state:{slug}:{page}")
    teasers = [
        {"title": g.title, "items": [_teaser(slug, link) for link in g.links]} for g in view.groups
    ]
    return {
        "site": {
            "name": view.site_name,
            "home": view.home,
            "locale": "en",
            "build": site.build,
            "nav": [{"id": digest(f"{slug}:{_key(n)}", 8), **_link(n)} for n in view.nav],
            "config": site.config,
        },
        "page": {
            "id": digest(f"{slug}:{page}"),
            "type": kind,
            "title": view.title,
            "canonical": view.canonical,
            "description": view.description,
        },
        "article": _article(view.article, slug, page) if view.article else None,
        "teasers": teasers,
        "layout": _layout(rng, site, layout if kind != "article" else layout // 4),
        "ads": _ads(rng, slug, site.network, kind, len(teasers)),
    }


def _kind(view: View, page: str) -> str:
    if view.article is not None:
        return "article"
    if page.startswith("/archive/"):
        return "archive"
    return "home" if page == "/" else "section"


def _key(link: LinkView) -> str:
    """What seeds a link's ids: its path, never its host (its port differs from run to run)."""
    parts = urlsplit(link.href)
    return f"{parts.path}?{parts.query}"


def _link(link: LinkView) -> dict[str, str]:
    return {"label": link.text, "href": link.href}


def _teaser(slug: str, link: LinkView) -> dict[str, Any]:
    """A teaser, its image described the same way on every page that shows it (from a hash
    rather than a seeded generator: listing pages show dozens)."""
    key = f"{slug}:{_key(link)}"
    byte = iter(hashlib.blake2s(key.encode()).digest())
    width = (960, 1200, 1600, 2048)[next(byte) % 4]
    height = width * (9, 2, 3)[next(byte) % 3] // (16, 3, 4)[next(byte) % 3]
    return {
        "id": digest(key, 10),
        "headline": link.text,
        "href": link.href,
        "image": {
            "id": digest(f"{key}:image", 16),
            "width": width,
            "height": height,
            "focal": {"x": round(next(byte) / 255, 3), "y": round(next(byte) / 255, 3)},
            "color": f"#{next(byte):02x}{next(byte):02x}{next(byte):02x}",
            "alt": link.text,
            "crops": {
                name: [next(byte) * width // 1024, next(byte) * height // 1024, w, h]
                for name, w, h in (("landscape", 16, 9), ("square", 1, 1), ("portrait", 3, 4))
            },
        },
        "variant": MODIFIERS[next(byte) % len(MODIFIERS)],
    }


def _article(article: ArticleView, slug: str, page: str) -> dict[str, Any]:
    """The article's own fields: only what the page shows, so only an edit changes them (its
    `modified` time stays out, as the page's visible stamp line alone carries it)."""
    figures = {f.after: f.caption for f in article.figures}
    body: list[dict[str, str]] = []
    for number, paragraph in enumerate(article.paragraphs, start=1):
        body.append({"type": "paragraph", "text": paragraph})
        if number in figures:
            body.append({"type": "figure", "caption": figures[number]})
    return {
        "id": digest(f"{slug}:article:{page}"),
        "headline": article.headline,
        "author": {"name": article.author, "slug": _slug(article.author)},
        "published": article.published.isoformat(),
        "section": _link(article.section),
        "readingTime": article.minutes,
        "wordCount": sum(len(p.split()) for p in article.paragraphs),
        "body": body,
    }


def _layout(rng: random.Random, site: SiteState, size: int) -> list[dict[str, Any]]:
    """About `size` characters of modules, picked from the site's own."""
    modules: list[dict[str, Any]] = []
    length = 0
    while length < size:
        module, module_size = rng.choice(site.modules)
        modules.append(module)
        length += module_size
    return modules


def _ads(rng: random.Random, slug: str, network: int, kind: str, groups: int) -> dict[str, Any]:
    positions = ["top", "sidebar", *(f"inline-{n}" for n in range(1, groups + 3)), "bottom"]
    return {
        "unit": f"/{network}/{slug}/{kind}",
        "slots": [
            {
                "id": f"ad-{position}-{token(rng, 5)}",
                "position": position,
                "sizes": [list(s) for s in rng.sample(_AD_SIZES, rng.randint(1, 3))],
                "lazy": position != "top",
                "refresh": rng.choice((0, 30, 60)),
            }
            for position in positions
        ],
        "targeting": {"kind": kind, "pid": digest(f"{slug}:ads:{kind}", 8)},
    }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
