"""Publisher C, Wirefront Daily: an aggregator that republishes wire copy (seed 002 is seed
000's text) in an old div-soup theme, dated with `<time datetime>`, a "Source link" under posts."""

from __future__ import annotations

from crawler.simweb.templates import (
    View,
    attr,
    body_blocks,
    document,
    esc,
    head,
    link,
    link_list,
    role,
    tags,
)
from crawler.simweb.weight import Profile

OWN: dict[str, tuple[str, ...]] = {
    "cookie": (
        "This website uses cookies to improve your experience. We'll assume you're ok with this, "
        "but you can opt-out if you wish.",
        "Accept",
        "Read More",
    ),
    "aside": (
        "Get the daily digest",
        "The top stories from around the wires, delivered every morning.",
        "Trending now",
    ),
    "footer": (
        "About us",
        "Contact us",
        "Advertise with us",
        "Wirefront Daily aggregates news from around the web.",
        "© Copyright 2025 Wirefront Daily",
    ),
}

ROBOTS_META = '<meta name="robots" content="max-image-preview:large">'

STYLE = (
    ".td-header-wrap{background:#111;color:#fff}.td-main-content{width:68%;float:left}"
    ".td-sidebar{width:30%;float:right}.td-a-rec{text-align:center}"
)

WEIGHT = Profile(
    naming="prefixed",
    prefix="td-",
    state="__PRELOADED_STATE__",
    css=54_000,
    js=22_000,
    icons=14,
    config=3_000,
    layout=10_000,
)
"""An old WordPress theme with `td-` classes and a light bundle."""


def render(view: View) -> str:
    main = _article(view) if view.article else _listing(view)
    text, *buttons = role(view, "cookie")
    menu = "".join(f'<li class="menu-item">{link(item)}</li>' for item in view.nav)
    body = f"""<div id="td-outer-wrap"><div class="td-header-wrap">
<div class="td-header-top-menu"><span class="td_data_time">Latest news from the wires</span></div>
<div class="td-logo"><a href="{attr(view.home)}">Wirefront Daily</a></div>
<div class="td-a-rec td-a-rec-id-header"><span>Advertisement</span></div>
<div id="td-header-menu"><ul id="menu-main" class="sf-menu">{menu}</ul></div></div>
<div class="td-container"><div class="td-main-content">{main}</div>
<div class="td-sidebar">{_sidebar(view)}</div></div>
<div class="td-footer-wrapper"><ul class="td-footer-links">{tags(role(view, "footer"), "li")}</ul>
</div></div>
<div id="cookie-law-info-bar"><span>{esc(text)}</span>
{"".join(f'<a role="button" class="cli_action_button">{esc(b)}</a>' for b in buttons)}</div>"""
    return document(
        view,
        head(view, f"{view.title} \u2013 {view.site_name}", ROBOTS_META),
        body,
        "post-template-default single" if view.article else "archive category",
        STYLE,
    )


def _article(view: View) -> str:
    article = view.article
    assert article is not None
    when = article.published
    return f"""<div class="td-post-header">
<ul class="td-category"><li>{link(article.section)}</li></ul>
<header class="td-post-title"><h1 class="entry-title">{esc(article.headline)}</h1>
<div class="td-module-meta-info"><div class="td-post-author-name">By {esc(article.author)}</div>
<span class="td-post-date"><time class="entry-date updated" datetime="{when.isoformat()}">
{when:%B} {when.day}, {when:%Y}</time></span>
</div></header></div>
<div class="td-post-content tagdiv-type">{tags(role(view, "top"), "p", "promo")}
{body_blocks(article, "", 0)}
{tags(role(view, "bottom"), "p", "source-link")}</div>
<div class="td-post-sharing"><span>Share</span> <span>Facebook</span> <span>WhatsApp</span></div>
<div class="td_block_related_posts"><h4 class="td-related-title">Related Posts</h4>
{"".join(link_list(g.links, "td-related-list") for g in view.groups)}</div>
<div class="td-a-rec td-a-rec-id-content_bottom"><span>Advertisement</span></div>"""


def _listing(view: View) -> str:
    blocks = "".join(
        f'<div class="td_block_wrap"><h4 class="block-title">{esc(g.title)}</h4>'
        f"{link_list(g.links, 'page-nav' if g.pagination else 'td-module-list')}</div>"
        for g in view.groups
    )
    return f'<h1 class="entry-title td-page-title">{esc(view.title)}</h1>{blocks}'


def _sidebar(view: View) -> str:
    lines = role(view, "aside")
    return f"""<div class="td_block_wrap newsletter">{tags(lines[:1], "h4")}{tags(lines[1:2], "p")}
<input type="email" placeholder="Your email"><button type="button">Subscribe</button></div>
<div class="td_block_wrap trending">{tags(lines[2:], "h4")}</div>
<div class="td-a-rec td-a-rec-id-sidebar"><span>Advertisement</span></div>"""
