"""The words and names generated CSS, JS and JSON are made of.

A small shared vocabulary, as in real front-end code where the same component and property names
recur across a bundle: that recurrence is what makes real pages compress about 4 to 5 times.
No token holds a slash, a dot-separated host or a date, so nothing generated can read as a URL
or be taken for the page's date by an extractor.
"""

from __future__ import annotations

import base64
import hashlib
import random
from functools import lru_cache

WORDS = (
    "accent", "action", "active", "ad", "alert", "anchor", "article", "aside", "author", "avatar",
    "back", "badge", "banner", "bar", "block", "body", "border", "box", "brand", "breaking",
    "button", "byline", "caption", "card", "carousel", "cell", "channel", "chip", "close",
    "collapse", "column", "comment", "compact", "consent", "container", "content", "control",
    "cover", "credit", "dark", "deck", "detail", "dialog", "divider", "dock", "drawer", "dropdown",
    "edition", "embed", "empty", "entry", "event", "expand", "feature", "feed", "field", "figure",
    "filter", "flag", "focus", "footer", "frame", "gallery", "grid", "group", "header", "headline",
    "hero", "hidden", "highlight", "icon", "image", "index", "inline", "inner", "input", "item",
    "kicker", "label", "large", "layout", "lead", "link", "list", "live", "loader", "logo", "main",
    "market", "media", "menu", "meta", "modal", "module", "more", "nav", "notice", "offset",
    "opinion", "outer", "overlay", "pager", "panel", "picture", "pill", "player", "popover",
    "primary", "quote", "rail", "rank", "reader", "region", "related", "ribbon", "row", "score",
    "scroll", "search", "secondary", "section", "share", "sheet", "shell", "side", "skeleton",
    "slide", "slot", "small", "social", "spacer", "spinner", "stack", "status", "sticky", "story",
    "strip", "summary", "surface", "tab", "table", "tag", "teaser", "text", "thumb", "ticker",
    "tile", "timeline", "title", "toast", "toggle", "toolbar", "tooltip", "topic", "track",
    "trigger", "video", "viewer", "visible", "weather", "widget", "wrap", "wrapper",
)  # fmt: skip

MODIFIERS = (
    "active", "compact", "dark", "disabled", "expanded", "featured", "first", "large", "last",
    "light", "loading", "open", "primary", "secondary", "selected", "small", "sticky", "wide",
)  # fmt: skip

_MINIFIED = "etnroiasclufdphmgvybwxk"
"""The order in which minifiers hand out names within a scope: early letters are the common ones."""
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LETTERS + "0123456789"


def word(rng: random.Random) -> str:
    return rng.choice(WORDS)


def camel(rng: random.Random, parts: int = 2) -> str:
    """'storyTitle', as a JS property or JSON key."""
    first, *rest = (word(rng) for _ in range(parts))
    return first + "".join(w.capitalize() for w in rest)


def kebab(rng: random.Random, parts: int = 2) -> str:
    return "-".join(word(rng) for _ in range(parts))


def ident(rng: random.Random) -> str:
    """A minified variable name: mostly one of the first letters minifiers use."""
    return _MINIFIED[min(int(rng.expovariate(0.25)), len(_MINIFIED) - 1)]


def token(rng: random.Random, length: int) -> str:
    """A hash-like lowercase token ('k3x9a'), as in CSS-module class names and build ids; it
    starts with a letter so it never reads as a number (or a date)."""
    return rng.choice(_LETTERS) + "".join(rng.choice(_ALNUM) for _ in range(length - 1))


@lru_cache(maxsize=16384)
def digest(key: str, length: int = 12) -> str:
    """A stable id for `key` (a page, a teaser), the same in every process: base32, whose few
    digits never run long enough to look like a date or a number."""
    raw = hashlib.blake2s(key.encode(), digest_size=20).digest()
    return base64.b32encode(raw).decode().lower()[:length]


def class_names(rng: random.Random, naming: str, prefix: str, count: int) -> list[str]:
    """A site's class names in its build's style: 'bem' ('story__title--large'), 'modules'
    ('Teaser_title__k3x9a', CSS modules) or 'prefixed' ('td-module-title', WordPress themes)."""
    names: dict[str, None] = {}
    while len(names) < count:
        block, element = word(rng), word(rng)
        if naming == "modules":
            name = f"{block.capitalize()}_{element}__{token(rng, 5)}"
        elif naming == "bem":
            name = f"{prefix}{block}__{element}"
            if rng.random() < 0.3:
                name += f"--{rng.choice(MODIFIERS)}"
        else:
            name = f"{prefix}{block}-{element}"
        names[name] = None
    return list(names)
