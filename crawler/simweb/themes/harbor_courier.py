"""Publisher B, Harbor Courier: a modern semantic-HTML5 news site with JSON-LD NewsArticle
metadata, a consent dialog at the end of the page and a comment section (seed 001's chrome)."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.simweb.templates import (
    View,
    attr,
    body_blocks,
    document,
    esc,
    head,
    json_ld,
    link,
    link_list,
    role,
    tags,
)
from crawler.simweb.walls import paywall_fields
from crawler.simweb.weight import Profile

OWN: dict[str, tuple[str, ...]] = {
    "cookie": (
        "We use cookies and similar technologies to personalise content and ads, to provide "
        "social media features and to analyse our traffic.",
        "Accept all",
        "Manage preferences",
    ),
    "top": ("Listen to this article",),
    "aside": ("The Morning Tide", "The day's essential stories, in your inbox before 7am."),
    "footer": (
        "Harbor Courier is published by Harbor Courier Media Group.",
        "© 2025 Harbor Courier. All rights reserved.",
    ),
}

STYLE = (
    "body{font-family:Georgia,serif}.consent{position:fixed;bottom:0;left:0;right:0}"
    "nav ul{display:flex;gap:1rem}.ad{min-height:90px;background:#eee}"
)

WEIGHT = Profile(
    naming="modules",
    prefix="hc-",
    state="__NEXT_DATA__",
    css=52_000,
    js=52_000,
    icons=24,
    config=4_500,
    layout=16_000,
)
"""A Next.js front end: CSS-module class names, `__NEXT_DATA__`, the biggest bundle."""


def render(view: View) -> str:
    main = _article(view) if view.article else _listing(view)
    nav = "".join(f"<li>{link(item)}</li>" for item in view.nav)
    text, *buttons = role(view, "cookie")
    body = f"""<a class="skip-link" href="#main">Skip to content</a>
<header class="masthead">
<p class="masthead__title"><a href="{attr(view.home)}">Harbor Courier</a></p>
<nav aria-label="Sections"><ul>{nav}</ul></nav></header>
<div class="ad ad--leaderboard" aria-hidden="true"></div>
<main id="main">{main}</main>
<footer class="site-footer">{tags(role(view, "footer"), "p")}</footer>
<div class="consent" role="dialog" aria-label="Cookie consent"><p>{esc(text)}</p>
{"".join(f'<button type="button">{esc(b)}</button>' for b in buttons)}</div>"""
    return document(
        view,
        head(view, f"{view.title} | {view.site_name}", _metadata(view)),
        body,
        "article-page" if view.article else "index-page",
        STYLE,
    )


def _metadata(view: View) -> str:
    article = view.article
    if article is None:
        return ""
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.headline,
            "datePublished": article.published.isoformat(),
            "dateModified": article.published.isoformat(),
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {"@type": "Organization", "name": view.site_name},
            "mainEntityOfPage": view.canonical,
            "articleSection": article.section.text,
            **(paywall_fields() if article.paywalled else {}),
        }
    )


def _article(view: View) -> str:
    article = view.article
    assert article is not None
    stamp = _gmt("Published", article.published)
    if article.modified is not None:
        stamp += " · " + _gmt("Updated", article.modified)
    ad = f'<div class="ad ad--inline">{tags(role(view, "inline"), "span", "ad__label")}</div>'
    bottom = role(view, "bottom")
    related = "".join(
        f'<section class="related"><h2>More stories</h2>'
        f"{link_list(group.links, 'related__list', 'time')}</section>"
        for group in view.groups
    )
    return f"""<article class="story">
<header class="story__header"><p class="story__kicker">{link(article.section)}</p>
<h1 class="story__headline">{esc(article.headline)}</h1>
<p class="story__byline">By <span class="author">{esc(article.author)}</span></p>
<p class="story__date">{stamp}</p>
{tags(role(view, "top"), "button", "listen")}</header>
<div class="story__body">{body_blocks(article, ad, 3)}</div>
<div class="share-bar">{tags(bottom[:1], "p", "share-bar__title")}
<button type="button">Facebook</button><button type="button">X</button>
<button type="button">Email</button></div>
</article>
<section class="comments" id="comments">{tags(bottom[1:2], "button", "comments__open")}
{tags(bottom[2:3], "h2")}{tags(bottom[3:], "p", "comments__note")}
<form class="comments__form"><label>Comment <textarea name="comment"></textarea></label>
<button type="button">Post comment</button></form></section>
<aside class="newsletter">{tags(role(view, "aside")[:1], "h2")}{tags(role(view, "aside")[1:], "p")}
<input type="email" placeholder="Email address"><button type="button">Sign up</button></aside>
{related}"""


def _gmt(label: str, when: datetime) -> str:
    gmt = when.astimezone(UTC)
    return f"{label} {gmt.day} {gmt:%B %Y, %H:%M} GMT"


def _listing(view: View) -> str:
    sections = "".join(
        f'<section class="{"pager" if g.pagination else "rail"}"><h2>{esc(g.title)}</h2>'
        f"{link_list(g.links, 'rail__list', 'time')}</section>"
        for g in view.groups
    )
    return f'<h1 class="page-title">{esc(view.title)}</h1>{sections}'
