"""What a page and its stylesheets load (`crawler.discovery.requisites`)."""

from __future__ import annotations

from crawler.discovery.requisites import css_requisites, largest_candidate, page_requisites

BASE = "http://news.example/a/page.html"

PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/s/site.css">
<link rel="preload" href="/f/serif.woff2" as="font" crossorigin>
<link rel="preload" href="/s/site.css" as="style">
<link rel="icon" href="favicon.ico">
<link rel="alternate" href="/feed.xml">
<script src="https://cdn.example/app.js" defer></script>
<style>body { background: url('bg.png') } /* url(commented.png) */</style>
</head><body>
<picture><source type="image/webp" srcset="/i/p-640.webp 640w, /i/p-1280.webp 1280w">
<img src="/i/p-640.png" srcset="/i/p-320.png 320w, /i/p-960.png 960w, /i/p-640.png 640w"></picture>
<img src="data:image/png;base64,AAAA">
<img src="/i/logo.png" srcset="/i/logo.png 1x, /i/logo@2x.png 2x">
<div style="background-image: url(&quot;/i/hero.jpg&quot;)"></div>
<a href="/not-a-requisite">x</a><script>var x = "<img src=/no.png>";</script>
</body></html>"""


def test_a_page_names_what_it_loads_once_each_in_order() -> None:
    found = [(n.url, n.kind) for n in page_requisites(PAGE, BASE)]
    assert found == [
        ("http://news.example/s/site.css", "stylesheet"),
        ("http://news.example/f/serif.woff2", "font"),
        ("http://news.example/a/favicon.ico", "icon"),
        ("https://cdn.example/app.js", "script"),
        ("http://news.example/a/bg.png", "css-url"),
        ("http://news.example/i/p-1280.webp", "image"),
        ("http://news.example/i/p-960.png", "image"),
        ("http://news.example/i/p-640.png", "image"),
        ("http://news.example/i/logo@2x.png", "image"),
        ("http://news.example/i/logo.png", "image"),
        ("http://news.example/i/hero.jpg", "css-url"),
    ]


def test_a_base_element_moves_relative_urls() -> None:
    html = '<base href="https://static.example/v2/"><img src="x.png">'
    assert [n.url for n in page_requisites(html, BASE)] == ["https://static.example/v2/x.png"]


def test_a_stylesheet_names_its_imports_fonts_and_images() -> None:
    css = """@import "print.css"; @import url(fonts.css);
    @font-face { src: url(/f/a.woff2) format("woff2"), url('/f/a.woff') }
    .x { background: url(data:image/png;base64,AA) } .y { background: url( "../i/bg.png" ) }"""
    found = [(n.url, n.kind) for n in css_requisites(css, "http://news.example/s/site.css")]
    assert found == [
        ("http://news.example/s/print.css", "stylesheet"),
        ("http://news.example/s/fonts.css", "stylesheet"),
        ("http://news.example/f/a.woff2", "font"),
        ("http://news.example/f/a.woff", "font"),
        ("http://news.example/i/bg.png", "css-url"),
    ]


def test_the_largest_srcset_candidate() -> None:
    assert largest_candidate("a.png 320w, b.png 960w, c.png 640w") == "b.png"
    assert largest_candidate("a.png, b.png 2x, c.png 1.5x") == "b.png"
    assert largest_candidate("a.png 2x, b.png 100w") == "b.png"  # widths beat densities
    assert largest_candidate(" , bad 12q") is None


def test_broken_markup_and_foreign_schemes_give_what_they_can() -> None:
    html = (
        '<img src="ftp://x/y.png"><img src="javascript:alert(1)"><img src="http://[::1">'
        "<img src=ok.png><p <img"
    )
    assert [n.url for n in page_requisites(html, BASE)] == ["http://news.example/a/ok.png"]
