"""Publisher D, Justice Dispatch: a criminal-justice news aggregator (seed 003's chrome: the
donation appeal above the story, image captions, the sign-up box, "originally published" note),
with Yoast-style JSON-LD `@graph` metadata."""

from __future__ import annotations

from datetime import timedelta

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
from crawler.simweb.weight import Profile

OWN: dict[str, tuple[str, ...]] = {
    "cookie": (
        "We value your privacy. We use cookies to enhance your browsing experience and analyse "
        "our traffic. By clicking “Accept”, you consent to our use of cookies.",
        "Accept",
        "Reject",
    ),
    "footer": (
        "Justice Dispatch collects criminal justice reporting from newsrooms across the country.",
        "© 2025 Justice Dispatch",
    ),
}

STYLE = (
    ".support-box{border:1px solid #c00;padding:1em}.jd-grid{display:grid}"
    ".cmplz-cookiebanner{position:fixed;bottom:1em;right:1em}"
)

_ZONES = {timedelta(0): "GMT", timedelta(hours=-5): "EST", timedelta(hours=-4): "EDT"}


WEIGHT = Profile(
    naming="bem",
    prefix="jd-",
    state="__INITIAL_STATE__",
    css=61_000,
    js=25_000,
    icons=16,
    config=3_500,
    layout=12_000,
)
"""A WordPress site with BEM class names."""


def render(view: View) -> str:
    main = _article(view) if view.article else _listing(view)
    text, *buttons = role(view, "cookie")
    menu = "".join(f"<li>{link(item)}</li>" for item in view.nav)
    body = f"""<div class="cmplz-cookiebanner" role="dialog">
<div class="cmplz-message">{esc(text)}</div>
{"".join(f'<button type="button" class="cmplz-btn">{esc(b)}</button>' for b in buttons)}</div>
<div class="jd-topbar"><a href="{attr(view.home)}" class="jd-brand">Justice Dispatch</a>
<nav class="jd-menu"><ul>{menu}</ul></nav></div>
<div class="jd-layout"><div class="jd-content">{main}</div>
<aside class="jd-sidebar"><h3>Most read this week</h3>
<div class="jd-ad" data-slot="sidebar-300x250"><span>Sponsored</span></div></aside></div>
<footer class="jd-footer">{tags(role(view, "footer"), "p")}</footer>"""
    return document(
        view,
        head(view, f"{view.title} | {view.site_name}", _metadata(view)),
        body,
        "jd single" if view.article else "jd listing",
        STYLE,
    )


def _metadata(view: View) -> str:
    article = view.article
    if article is None:
        return ""
    return json_ld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "NewsArticle",
                    "@id": f"{view.canonical}#article",
                    "headline": article.headline,
                    "datePublished": article.published.isoformat(),
                    "author": {"@type": "Person", "name": article.author},
                    "isPartOf": {"@id": f"{view.canonical}#webpage"},
                },
                {"@type": "WebPage", "@id": f"{view.canonical}#webpage", "url": view.canonical},
            ],
        }
    )


def _article(view: View) -> str:
    article = view.article
    assert article is not None
    when = article.published
    zone = _ZONES.get(when.utcoffset() or timedelta(0), when.strftime("UTC%z"))
    top = role(view, "top")
    appeal = (
        f'<div class="support-box">{tags(top[:1], "h2")}{tags(top[1:], "p")}'
        '<button type="button">Donate now</button></div>'
    )
    return f"""<article class="jd-article">{appeal}
<h1 class="jd-title">{esc(article.headline)}</h1>
<div class="jd-byline"><span class="jd-author">{esc(article.author)}</span>
<span class="jd-date">{when:%A %d %B %Y %H:%M} {zone}</span>
<span class="jd-section">{link(article.section)}</span></div>
<div class="jd-body">{body_blocks(article, "", 0)}</div>
<div class="jd-newsletter">{tags(role(view, "aside"), "p")}
<input type="email" placeholder="Email"><button type="button">Sign up</button></div>
{tags(role(view, "bottom"), "p", "jd-origin")}
</article>
<div class="jd-related"><h3>Related stories</h3>
{"".join(link_list(g.links, "jd-related-list") for g in view.groups)}</div>"""


def _listing(view: View) -> str:
    cards = "".join(
        f'<section class="jd-grid"><h2>{esc(g.title)}</h2>'
        f"{link_list(g.links, 'jd-pages' if g.pagination else 'jd-cards')}</section>"
        for g in view.groups
    )
    return f'<h1 class="jd-page-title">{esc(view.title)}</h1>{cards}'
