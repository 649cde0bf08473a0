"""What a theme renders from, and the HTML pieces every theme shares.

A `View` is a page with every link already written as its final href, so themes only arrange
markup; which pages link where is decided once, in sites.py, for the HTML and the ground truth.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class LinkView:
    href: str
    text: str
    note: str = ""
    """A date or label shown next to the link."""


@dataclass(frozen=True, slots=True)
class GroupView:
    title: str
    links: tuple[LinkView, ...]
    pagination: bool = False


@dataclass(frozen=True, slots=True)
class FigureView:
    after: int
    caption: str


@dataclass(frozen=True, slots=True)
class ArticleView:
    headline: str
    author: str
    published: datetime
    section: LinkView
    paragraphs: tuple[str, ...]
    figures: tuple[FigureView, ...] = ()
    modified: datetime | None = None
    """When a later round last changed it; themes that show an "updated" line show this."""
    paywalled: bool = False
    """Served behind a metered paywall (walls.py): themes with JSON-LD mark it not free."""
    after_body: str = ""
    """Markup that ends the body: the paywall's offer."""

    @property
    def minutes(self) -> int:
        """Reading time at 150 words a minute, as news themes print it."""
        return max(1, -(-sum(len(p.split()) for p in self.paragraphs) // 150))


@dataclass(frozen=True, slots=True)
class Weight:
    """What a page carries besides its markup and text (see weight/): for the end of `<head>`,
    the start of `<body>` and the end of `<body>`."""

    head: str = ""
    top: str = ""
    tail: str = ""


@dataclass(frozen=True, slots=True)
class View:
    """One page, ready to render."""

    site_name: str
    home: str
    title: str
    """The page's heading: the headline, a section's label, 'Archive', or the site's name."""
    canonical: str
    description: str
    nav: tuple[LinkView, ...]
    groups: tuple[GroupView, ...]
    chrome: Mapping[str, tuple[str, ...]]
    """Boilerplate lines by role (see content.ROLES)."""
    article: ArticleView | None = None
    feed: tuple[str, str] | None = None
    """(href, media type) of the site's feed, for `<link rel="alternate">`."""
    weight: Weight = Weight()
    lang: str = "en"
    """`<html lang>`."""


def esc(text: str) -> str:
    """Text for an element's content."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    """Text for a quoted attribute value."""
    return html.escape(text, quote=True)


def tags(lines: Iterable[str], tag: str = "p", cls: str = "") -> str:
    """Each line as its own element."""
    open_tag = f'<{tag} class="{cls}">' if cls else f"<{tag}>"
    return "".join(f"{open_tag}{esc(line)}</{tag}>" for line in lines)


def link(item: LinkView, cls: str = "") -> str:
    class_attr = f' class="{cls}"' if cls else ""
    return f'<a href="{attr(item.href)}"{class_attr}>{esc(item.text)}</a>'


def link_list(links: Iterable[LinkView], cls: str, note_tag: str = "span") -> str:
    items = []
    for item in links:
        note = f' <{note_tag} class="meta">{esc(item.note)}</{note_tag}>' if item.note else ""
        items.append(f"<li>{link(item)}{note}</li>")
    return f'<ul class="{cls}">{"".join(items)}</ul>'


def json_ld(data: Mapping[str, Any]) -> str:
    """A JSON-LD block, safe inside <script>."""
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def body_blocks(article: ArticleView, inline: str, after: int) -> str:
    """The body paragraphs with their figures, and `inline` (an ad) after paragraph `after`."""
    out = []
    figures = {f.after: f for f in article.figures}
    for number, text in enumerate(article.paragraphs, start=1):
        out.append(f"<p>{esc(text)}</p>")
        if number == after and inline:
            out.append(inline)
        if number in figures:
            caption = esc(figures[number].caption)
            out.append(
                '<figure class="wp-caption"><div class="media-placeholder" role="img"></div>'
                f"<figcaption>{caption}</figcaption></figure>"
            )
    out.append(article.after_body)
    return "".join(out)


def head(view: View, title: str, extra: str = "", *, http_equiv: bool = False) -> str:
    """The metadata every page carries (title, description, canonical, Open Graph, and for
    articles the author and publication time), then the theme's `extra`."""
    charset = (
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        if http_equiv
        else '<meta charset="utf-8">'
    )
    parts = [
        charset,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f'<meta name="description" content="{attr(view.description)}">',
        f'<link rel="canonical" href="{attr(view.canonical)}">',
        f'<meta property="og:site_name" content="{attr(view.site_name)}">',
        f'<meta property="og:title" content="{attr(view.title)}">',
        f'<meta property="og:type" content="{"article" if view.article else "website"}">',
        f'<meta property="og:url" content="{attr(view.canonical)}">',
    ]
    if view.article is not None:
        published = view.article.published.isoformat()
        parts += [
            f'<meta property="article:published_time" content="{published}">',
            f'<meta property="article:section" content="{attr(view.article.section.text)}">',
            f'<meta name="author" content="{attr(view.article.author)}">',
        ]
    if view.feed is not None:
        href, mime = view.feed
        parts.append(f'<link rel="alternate" type="{mime}" href="{attr(href)}">')
    return "\n".join(parts) + "\n" + extra


def document(view: View, head_html: str, body_html: str, body_class: str, style: str) -> str:
    """The page: the theme's head and body, with the view's weight around them."""
    weight = view.weight
    return (
        f'<!DOCTYPE html>\n<html lang="{view.lang}">\n<head>\n{head_html}\n{weight.head}\n'
        f'<style>{style}</style>\n</head>\n<body class="{body_class}">\n{weight.top}\n'
        f"{body_html}\n{weight.tail}\n</body>\n</html>\n"
    )


def role(view: View, name: str) -> tuple[str, ...]:
    return view.chrome.get(name, ())
