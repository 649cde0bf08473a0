"""Publisher A, The Ledgerline: a WordPress finance-news theme wrapped in seed 000's chrome
(cookie notice, mega menu, newsletter promos, share bar, comment form, sign-up footer)."""

from __future__ import annotations

from crawler.simweb.templates import (
    LinkView,
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
    "aside": ("Market data delayed by at least 15 minutes.",),
    "footer": ("© 2025 Ledgerline Media Ltd. All Rights Reserved.",),
}

STYLE = (
    ".cookie-notice{position:fixed;bottom:0}.main-menu li{display:inline-block}"
    ".sidebar{float:right;width:30%}.ad-wrap{min-height:250px}"
)

WEIGHT = Profile(
    naming="prefixed",
    prefix="rb-",
    state="__INITIAL_STATE__",
    css=66_000,
    js=29_000,
    icons=18,
    config=4_000,
    layout=14_000,
)
"""A WordPress theme with a page builder: the heaviest inline stylesheet."""


def render(view: View) -> str:
    main = _article(view) if view.article else _listing(view)
    text, *buttons = role(view, "cookie")
    buttons_html = "".join(f'<button type="button">{esc(b)}</button>' for b in buttons)
    body = f"""<div class="cookie-notice" id="cookie-notice" role="dialog">
<p class="cookie-text">{esc(text)}</p>{buttons_html}</div>
<div class="site-outer"><header class="site-header">
<div class="logo-wrap"><a href="{attr(view.home)}" class="logo">Ledgerline</a></div>
<nav class="main-menu"><ul>{"".join(f"<li>{link(item)}</li>" for item in view.nav)}</ul></nav>
<div class="header-social">{tags(role(view, "header"), "span", "follow-title")}
<span>Facebook</span> <span>Twitter</span> <span>Youtube</span></div>
</header>
<div class="site-wrap"><div class="content-area">{main}</div>
<aside class="sidebar"><div class="widget">{tags(role(view, "aside"), "p", "widget-line")}</div>
<div class="widget ad-widget">{tags(role(view, "inline"), "span")}</div></aside></div>
<footer class="footer-wrap"><ul class="footer-menu">{tags(role(view, "footer"), "li")}</ul>
</footer></div>"""
    title = f"{view.title} - {view.site_name}"
    return document(
        view, head(view, title), body, "single-post" if view.article else "archive", STYLE
    )


def _article(view: View) -> str:
    article = view.article
    assert article is not None
    when = article.modified or article.published
    ad = f'<div class="ad-wrap inline-ad">{tags(role(view, "inline"), "span")}</div>'
    home = LinkView(view.home, view.site_name)
    return f"""<div class="breadcrumb">{link(home)} &gt; {link(article.section)}
&gt; <span>{esc(article.headline)}</span></div>
<article class="post type-post">
<header class="single-header"><div class="p-categories">{link(article.section)}</div>
<h1 class="s-title">{esc(article.headline)}</h1>
<div class="single-meta"><span class="meta-author">By {esc(article.author)}</span>
<span class="meta-updated">Last updated: {when:%Y/%m/%d} at {when:%I:%M %p}</span>
<span class="meta-share">Share</span>
<span class="meta-read">{article.minutes} Min Read</span></div>
</header>
<div class="promo-box">{tags(role(view, "top"), "p", "promo")}</div>
<div class="entry-content rbct">{body_blocks(article, ad, 4)}</div>
<div class="entry-footer">{tags(role(view, "bottom"), "p", "entry-note")}
<form class="comment-form"><textarea name="comment" aria-label="Comment"></textarea>
<input name="author" placeholder="Name"><input name="email" placeholder="Email">
<button type="button">Post Comment</button></form></div>
</article>
{_groups(view, "You Might Also Like")}"""


def _listing(view: View) -> str:
    return f'<h1 class="archive-title">{esc(view.title)}</h1>{_groups(view, "")}'


def _groups(view: View, heading: str) -> str:
    out = []
    for group in view.groups:
        cls = "pagination" if group.pagination else "p-grid"
        out.append(
            f'<div class="block-wrap"><h3 class="block-title">{esc(heading or group.title)}</h3>'
            f"{link_list(group.links, cls)}</div>"
        )
    return "".join(out)
