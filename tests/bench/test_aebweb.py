"""The AEB web's pages link only to the local server: no other host survives the rewriting."""

from __future__ import annotations

import urllib.request

import pytest

from bench import aebweb

LOCAL = "127.0.0.1:8123"

PAGE = """<html><head>
<base href="https://www.example.com/">
<link rel="canonical" href="https://www.example.com/news/story.html">
<meta property="og:image" content="http://cdn.example.net:8080/img/a.jpg">
<link rel="stylesheet" href="//static.example.org/site.css">
<style>body { background: url(https://img.example.com/bg.png) }
.x { background: url('//img.example.com/x.png') }</style>
<script type="application/ld+json">{"url": "https:\\/\\/www.example.com\\/news\\/"}</script>
</head><body>
<a href="HTTPS://Other.Example.com/path?q=1#top">link</a>
<a href="http://http://www.doubled.example/forum/">a doubled scheme</a>
<img src="//cdn.example.net/a.jpg" srcset="//cdn.example.net/a.jpg 1x, //cdn.example.net/b.jpg 2x">
<form action="https://search.example.com/find"></form>
<iframe src="wss://live.example.com/feed"></iframe>
<p>Write to <a href="mailto:desk@example.com">the desk</a>; see /relative/path.</p>
</body></html>"""


def test_no_other_host_survives() -> None:
    rewritten = aebweb.rewrite(PAGE, LOCAL)
    assert aebweb.foreign_hosts(PAGE, LOCAL)  # the scan does see the original hosts
    assert aebweb.foreign_hosts(rewritten, LOCAL) == set()
    aebweb.check_local(rewritten, LOCAL, "page")


def test_the_old_host_and_path_stay_in_the_local_path() -> None:
    rewritten = aebweb.rewrite(PAGE, LOCAL)
    assert 'href="http://127.0.0.1:8123/x/{copy}/www.example.com/news/story.html"' in rewritten
    assert "//127.0.0.1:8123/x/{copy}/static.example.org/site.css" in rewritten
    assert "url(https://" not in rewritten
    assert "http:\\/\\/127.0.0.1:8123\\/x\\/{copy}\\/www.example.com\\/news\\/" in rewritten
    assert "//cdn.example.net/b.jpg 2x" not in rewritten
    assert "mailto:desk@example.com" in rewritten  # reaches no server: left as it is


def test_a_host_the_rewriting_cannot_parse_is_refused() -> None:
    with pytest.raises(AssertionError, match="other hosts"):
        aebweb.check_local(aebweb.rewrite('<a href="http://[2001:db8::1]/">', LOCAL), LOCAL, "p")


def test_every_aeb_page_is_served_local_only_under_each_path() -> None:
    with aebweb.AebWeb(pages=200) as web:
        assert len(web.templates) == 181
        urls = web.urls()
        assert len(urls) == len(set(urls)) == 200
        for template in web.templates:
            aebweb.check_local(template.render(1).decode(), web.local, template.id)
        with urllib.request.urlopen(urls[-1]) as answer:  # the 200th page: a second copy
            body = answer.read()
        assert b"/x/1/" in body
        with urllib.request.urlopen(f"{web.base_url}sitemap.xml") as answer:
            assert answer.read().count(b"<loc>") == 200
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{web.base_url}p/2/{web.templates[0].id}.html")
