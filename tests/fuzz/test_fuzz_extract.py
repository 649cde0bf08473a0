"""Feed, sitemap and HTML input from a hostile web: the parsers end in a result or their own
documented error, and `extract()` in an article or a reason — never a crash it had to catch, and
never slowly."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from crawler.core.page import PageInput
from crawler.core.rights import page_rights
from crawler.discovery.feeds import FeedError, parse_feed
from crawler.discovery.sitemaps import SitemapError, parse_sitemap
from crawler.extraction.access import check_access
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions

TIME_LIMIT_S = 5.0
"""Per input: a page that takes longer would stall an extraction worker. CPU seconds (process
time), not wall-clock seconds, which a loaded machine stretches."""

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
WORDS = st.lists(
    st.sampled_from(["Salvador", "prison", "the", "and", "offer", "é", "日本", "\u200b"]),
    max_size=60,
).map(" ".join)
ATTR_VALUES = st.one_of(
    TEXT,
    st.sampled_from(
        ["http://[::1", "//", "javascript:x", "http://news.example:99999/", "2025-13-45", "\x00"]
    ),
)


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(
        st.sampled_from(
            ["p", "div", "article", "span", "a", "h1", "time", "script", "table", "td", "li", "x-y"]
        )
    )
    attrs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["class", "id", "href", "datetime", "lang", "itemprop"]),
                ATTR_VALUES,
            ),
            max_size=3,
        )
    )
    attr_text = "".join(f' {k}="{v.replace(chr(34), "")}"' for k, v in attrs)
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 3 else []
    closing = "" if draw(st.booleans()) and depth else f"</{tag}>"
    return f"<{tag}{attr_text}>{draw(WORDS)}{''.join(children)}{closing}"


@st.composite
def html_pages(draw: st.DrawFn) -> bytes:
    head = "".join(
        draw(
            st.lists(
                st.sampled_from(
                    [
                        '<link rel="canonical" href="{}">',
                        '<meta property="og:url" content="{}">',
                        '<meta name="date" content="{}">',
                        '<meta property="article:published_time" content="{}">',
                        '<meta http-equiv="Content-Type" content="text/html; charset={}">',
                        '<script type="application/ld+json">{}</script>',
                        "<title>{}</title>",
                        '<meta name="author" content="{}">',
                    ]
                ).map(lambda t: t.format(draw(ATTR_VALUES))),
                max_size=5,
            )
        )
    )
    body = "".join(draw(st.lists(elements(), max_size=8)))
    text = f'<html lang="{draw(ATTR_VALUES)}"><head>{head}</head><body>{body}</body></html>'
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _page(body: bytes, content_type: str = "text/html") -> PageInput:
    url = "http://news.example/2025/02/03/article.html"
    return PageInput(
        url, url, 200, (("Content-Type", content_type),), body, datetime(2025, 2, 4, tzinfo=UTC)
    )


def _timed_extract(page: PageInput, options: ExtractOptions) -> str | None:
    """The extraction's reason, after the access and rights checks that follow it ran too."""
    started = time.process_time()
    extraction = extract(page, options)
    access = check_access(page, extraction)
    page_rights(page)
    assert time.process_time() - started < TIME_LIMIT_S
    assert "error" not in {e.reason for e in access.evidence}, access.reason
    return extraction.reason


@given(
    html_pages(), st.sampled_from([ExtractOptions(), ExtractOptions(favor="recall", min_words=0)])
)
@example(
    b'<html><head><link rel="canonical" href="http://[::1"></head><body><p>word</p></body></html>',
    ExtractOptions(min_words=0),
)
def test_extract_never_crashes_on_html(body: bytes, options: ExtractOptions) -> None:
    reason = _timed_extract(_page(body), options)
    assert reason is None or not reason.startswith("error:"), reason


@given(
    st.binary(max_size=2000),
    st.sampled_from(["text/html", "text/html; charset=bogus", "application/xhtml+xml"]),
)
@example(b"\xff\xfe<\x00h\x00", "text/html")
@example(b"<html><body><p>a\x0bb</p><div>c\x01</div></body></html>", "text/html")
@example(b"<?xml version='1.0' encoding='bogus'?><html/>", "application/xhtml+xml")
def test_extract_never_crashes_on_bytes(body: bytes, content_type: str) -> None:
    reason = _timed_extract(_page(body, content_type), ExtractOptions(min_words=0))
    assert reason is None or not reason.startswith("error:"), reason


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (name, ref * 10)
        for name, ref in ((b"b", b"&a;"), (b"c", b"&b;"), (b"d", b"&c;"), (b"e", b"&d;"))
    )
    + b"]><rss><channel><item><link>&e;</link></item></channel></rss>"
)
"""100,000 characters from a few hundred bytes (a real bomb nests deeper: the parser must not
expand entities at all)."""

FEED_PARTS = st.sampled_from(
    [
        "<item><link>{}</link><pubDate>{}</pubDate></item>",
        '<entry><link href="{}"/><updated>{}</updated></entry>',
        "<title>{}</title><guid>{}</guid>",
        '<!ENTITY x "{}">{}',
    ]
)


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    items = "".join(
        p.format(draw(ATTR_VALUES), draw(ATTR_VALUES))
        for p in draw(st.lists(FEED_PARTS, max_size=6))
    )
    root = draw(
        st.sampled_from(
            [
                '<rss version="2.0"><channel>{}</channel></rss>',
                '<feed xmlns="http://www.w3.org/2005/Atom">{}</feed>',
                "{}",
            ]
        )
    )
    return ('<?xml version="1.0"?>' + root.format(items)).encode("utf-8", errors="replace")


@given(st.one_of(feeds(), st.binary(max_size=1000)))
@example(BILLION_LAUGHS)
def test_feed_parser_ends_in_leads_or_feed_error(body: bytes) -> None:
    started = time.process_time()
    try:
        leads = parse_feed(body, "http://news.example/feed.xml", "application/rss+xml")
    except FeedError:
        return
    finally:
        assert time.process_time() - started < TIME_LIMIT_S
    assert all(lead.url for lead in leads)


SITEMAP_PARTS = st.sampled_from(
    [
        "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
        "<sitemap><loc>{}</loc></sitemap>",
        "<url><loc>{}</loc><news:news><news:publication_date>{}</news:publication_date></news:news></url>",
    ]
)


@st.composite
def sitemaps(draw: st.DrawFn) -> bytes:
    items = "".join(
        p.format(draw(ATTR_VALUES), draw(ATTR_VALUES))
        for p in draw(st.lists(SITEMAP_PARTS, max_size=6))
    )
    root = draw(st.sampled_from(["urlset", "sitemapindex", "other"]))
    return (
        f'<?xml version="1.0"?><{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{items}</{root}>'
    ).encode("utf-8", errors="replace")


@given(st.one_of(sitemaps(), st.binary(max_size=1000)))
@example(b"\x1f\x8b\x08\x00\x00\x00\x00\x00")
def test_sitemap_parser_ends_in_sitemap_or_sitemap_error(body: bytes) -> None:
    started = time.process_time()
    try:
        parse_sitemap(body)
    except SitemapError:
        return
    finally:
        assert time.process_time() - started < TIME_LIMIT_S
