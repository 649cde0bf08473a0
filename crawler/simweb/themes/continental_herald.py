"""Publisher E, Continental Herald: a classic table-era newspaper site with schema.org microdata,
`<time datetime>` dates, the charset only in a `<meta http-equiv>`, and a comment section."""

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
        "This site uses cookies. By continuing to browse you agree to our use of cookies.",
        "OK",
    ),
    "inline": ("ADVERTISEMENT",),
    "bottom": ("Comments (0)", "Be the first to comment on this story.", "Print this article"),
    "footer": (
        "Continental Herald — independent news since 1952.",
        "Copyright © 2025 Continental Herald Publishing Co.",
    ),
}

STYLE = (
    "table.layout{width:100%}td.nav{background:#036}td.nav a{color:#fff}"
    ".cookiebar{background:#ffc}.advert{border:1px dashed #999}"
)

WEIGHT = Profile(
    naming="prefixed",
    prefix="ch-",
    state="__APP_STATE__",
    css=47_000,
    js=18_000,
    icons=12,
    config=3_000,
    layout=8_000,
)
"""The lightest: a table-era site under a thin layer of modern scripts."""


def render(view: View) -> str:
    main = _article(view) if view.article else _listing(view)
    text, *buttons = role(view, "cookie")
    nav = " | ".join(link(item) for item in view.nav)
    body = f"""<div class="cookiebar">{esc(text)}
{"".join(f'<button type="button">{esc(b)}</button>' for b in buttons)}</div>
<table class="layout" role="presentation"><tr><td class="masthead" colspan="2">
<a href="{attr(view.home)}"><span class="brand">CONTINENTAL HERALD</span></a></td></tr>
<tr><td class="nav" colspan="2">{nav}</td></tr>
<tr><td class="main" valign="top">{main}</td>
<td class="right" valign="top" width="240">
<div class="advert">{tags(role(view, "inline"), "span")}</div>
<div class="box"><b>Today's paper</b><p>Subscribe to the print edition.</p></div></td></tr>
<tr><td class="footer" colspan="2">{tags(role(view, "footer"), "p")}</td></tr></table>"""
    return document(
        view,
        head(view, f"{view.title} :: {view.site_name}", http_equiv=True),
        body,
        "story" if view.article else "index",
        STYLE,
    )


def _article(view: View) -> str:
    article = view.article
    assert article is not None
    when = article.published
    ad = f'<div class="advert advert-inline">{tags(role(view, "inline"), "span")}</div>'
    bottom = role(view, "bottom")
    return f"""<div class="article" itemscope itemtype="https://schema.org/NewsArticle">
<div class="kicker">{link(article.section)}</div>
<h1 itemprop="headline">{esc(article.headline)}</h1>
<div class="dateline">By <span itemprop="author">{esc(article.author)}</span> —
<time itemprop="datePublished" datetime="{when.isoformat()}">{when:%d.%m.%Y}</time></div>
<div class="text" itemprop="articleBody">{body_blocks(article, ad, 5)}</div>
</div>
<div class="comments">{tags(bottom[:1], "h3")}{tags(bottom[1:2], "p")}
<form><textarea name="comment" aria-label="Your comment"></textarea>
<button type="button">Submit</button></form>{tags(bottom[2:], "p", "tools")}</div>
<div class="see-also"><b>See also</b>
{"".join(link_list(g.links, "see-also") for g in view.groups)}</div>"""


def _listing(view: View) -> str:
    rows = "".join(
        f"<h3>{esc(g.title)}</h3>{link_list(g.links, 'pages' if g.pagination else 'headlines')}"
        for g in view.groups
    )
    return f"<h1>{esc(view.title)}</h1>{rows}"
