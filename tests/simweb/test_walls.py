"""Walls (`SimWeb(walls=True)`): in the rounds the truth names, the article's URL serves a
metered paywall, a consent interstitial, a login wall or a bot challenge, with the status the
truth gives and none of the article's text; in the round after, the article as before (or with
its one real edit), so a crawler can tell a wall from a version."""

from __future__ import annotations

import html as htmllib
import json
from collections import Counter

from lxml import html

from crawler.simweb import SimWeb
from crawler.simweb.timeline import History
from crawler.simweb.wallplan import WalledRound, WallTruth
from crawler.simweb.walls import PAYWALL_SELECTOR
from tests.simweb.helpers import Response, Snapshots, feed_entries, fetch

CMP_MARKERS = {
    "onetrust": 'id="onetrust-accept-btn-handler"',
    "didomi": 'id="didomi-notice-agree-button"',
    "quantcast": 'id="qc-cmp2-container"',
    "funding-choices": 'class="fc-button fc-cta-consent',
}


def walls(web: SimWeb) -> WallTruth:
    assert web.truth.walls is not None
    return web.truth.walls


def has(page: str, paragraph: str) -> bool:
    return htmllib.escape(paragraph, quote=False) in page


def json_ld(resp: Response) -> list[dict[str, object]]:
    doc = html.fromstring(resp.text)
    return [json.loads(s) for s in doc.xpath("//script[@type='application/ld+json']/text()")]


def test_the_walls_cover_every_kind_and_status(featured: SimWeb) -> None:
    served = walls(featured).served
    kinds = Counter((w.kind, w.status) for w in served)
    assert kinds == {
        ("paywall", 200): 2,
        ("consent", 200): 5,
        ("login", 200): 1,
        ("challenge", 403): 2,
        ("challenge", 503): 1,
        ("challenge", 429): 1,
    }
    assert {w.vendor for w in served if w.kind == "consent"} == set(CMP_MARKERS)
    first_crawl = [w for w in served if w.round == 0]
    assert {w.kind for w in first_crawl} == {"consent", "challenge"}
    assert not any(w.seen_open for w in first_crawl)
    assert all(w.seen_open for w in served if w.round > 0)
    assert len({featured.truth.article(w.url).host for w in served}) == 5  # type: ignore[union-attr]


def test_each_walled_round_serves_its_wall_and_no_article_text(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    truth = featured.truth
    for wall in walls(featured).served:
        resp = featured_rounds[wall.round][wall.url]
        article = truth.article(wall.url)
        assert article is not None
        assert resp.status == wall.status, wall
        page = resp.text
        walled = walls(featured).article(wall.url)
        assert walled is not None
        visible = len(walled.visible)
        assert (visible > 0) == (wall.kind == "paywall")
        assert all(has(page, p) for p in article.paragraphs[:visible])
        assert not any(has(page, p) for p in article.paragraphs[visible:]), wall
        assert html.fromstring(page).xpath("//a[@href]") == [] or wall.kind == "paywall"
        _check_wall(wall, resp, article.paragraphs, article.title)


def _check_wall(wall: WalledRound, resp: Response, paragraphs: tuple[str, ...], title: str) -> None:
    page = resp.text
    if wall.kind == "consent":
        assert CMP_MARKERS[wall.vendor] in page and "consent" in page.lower()
        assert ("We value your privacy" in page) == (wall.vendor != "funding-choices")
        assert "<form" not in page and title not in page
    elif wall.kind == "login":
        doc = html.fromstring(page)
        assert "Log in to continue reading" in page
        assert doc.xpath("//form//input[@type='password']") and doc.xpath(
            "//form//input[@type='email']"
        )
    elif wall.kind == "challenge":
        assert resp.header("Server") == "cloudflare" and resp.header("CF-RAY")
        if wall.status == 429:
            assert resp.header("Retry-After") == str(wall.retry_after) == "120"
            assert "You are being rate limited" in page
        else:
            assert "<title>Just a moment...</title>" in page
            assert resp.header("cf-mitigated") == "challenge" and resp.header("Retry-After") is None
    else:
        _check_paywall(resp, paragraphs, title)


def _check_paywall(resp: Response, paragraphs: tuple[str, ...], title: str) -> None:
    """As Google documents paywalled content: the head and metadata stay, JSON-LD says the
    article is not free and which element is paywalled; the body keeps its first paragraph(s)."""
    page = resp.text
    doc = html.fromstring(page)
    assert doc.xpath("//meta[@property='og:title']/@content") == [title]
    [marked] = [d for d in json_ld(resp) if "isAccessibleForFree" in d]
    assert marked["isAccessibleForFree"] is False
    part = marked["hasPart"]
    assert isinstance(part, dict) and part["isAccessibleForFree"] is False
    assert part["cssSelector"] == PAYWALL_SELECTOR
    [offer] = doc.xpath("//*[contains(concat(' ', @class, ' '), ' paywall ')]")
    assert "Subscribe to continue reading" in offer.text_content()
    assert has(page, paragraphs[0])
    [body] = [e for e in doc.iter() if offer in list(e)]
    shown = [p.text_content() for p in body.xpath("./p")]
    assert shown and all(p in paragraphs for p in shown) and len(shown) < len(paragraphs)


def test_the_round_after_a_wall_serves_the_article_open(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    truth = featured.truth
    reopened = Counter()
    for walled in walls(featured).articles:
        history = truth.timeline.history(walled.url)
        after = walled.rounds[-1] + 1
        assert history.walled == walled.rounds
        resp = featured_rounds[after][walled.url]
        version = history.version(after)
        assert resp.status == 200 and version is not None
        assert all(has(resp.text, p) for p in version.paragraphs)
        before = [n for n in range(walled.rounds[0]) if n not in history.walled]
        if not before:  # a first-crawl wall: the first version is the first open round's
            assert history.versions[0].round == after and history.version(0) is None
            reopened["first crawl"] += 1
        elif len(history.versions) == 1:  # back as it was: the very bytes of before
            assert resp.body == featured_rounds[before[-1]][walled.url].body
            reopened["as before"] += 1
        else:  # back with one edit: a new version, compared with the last open one
            [first, edited] = history.versions
            assert edited.round == after and edited.paragraphs[:-1] == first.paragraphs
            [edit] = [e for e in truth.edits_in(after) if e.url == walled.url]
            assert edit.kinds == {"update"} and not edit.stealth
            reopened["edited"] += 1
    assert reopened == {"first crawl": 2, "as before": 8, "edited": 1}


def test_a_reopened_page_answers_304_to_the_validators_of_its_last_open_capture(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    """A recrawl that kept the open page's ETag gets a 304 once the wall is gone, and a 200
    with the wall while it stands."""
    checked = 0
    for walled in walls(featured).articles:
        etag = featured_rounds[0][walled.url].header("ETag")
        history = featured.truth.timeline.history(walled.url)
        if etag is None or walled.rounds[0] == 0 or len(history.versions) > 1:
            continue
        for n in (walled.rounds[0], walled.rounds[-1] + 1):
            featured.set_round(n)
            resp = fetch(walled.url, If_None_Match=etag)
            assert resp.status == (200 if n in walled.rounds else 304), (walled.url, n)
        checked += 1
    featured.set_round(0)
    assert checked == 4


def test_walls_are_no_version_in_the_timeline(featured: SimWeb) -> None:
    truth = featured.truth
    for walled in walls(featured).articles:
        history: History = truth.timeline.history(walled.url)
        for n in walled.rounds:
            assert history.version(n) is None and history.changed(n) == (
                n > 0 and n - 1 not in walled.rounds
            )
        assert history.changed(walled.rounds[-1] + 1)
        assert walled.url in truth.timeline.changed(walled.rounds[-1] + 1)
    assert truth.timeline.last_round == 3


def test_feeds_describe_the_walled_articles(featured: SimWeb, featured_rounds: Snapshots) -> None:
    """The description a feed gives each walled article (what a paywall's teaser can be
    compared with), and its open page's meta description, are the truth's."""
    featured.set_round(1)
    entries: dict[str, str] = {}
    for publisher in featured.publishers:
        for feed in publisher.feeds:
            entries |= feed_entries(feed)
    featured.set_round(0)
    with_feed = 0
    for walled in walls(featured).articles:
        page = featured_rounds[walled.rounds[-1] + 1][walled.url]
        [meta] = html.fromstring(page.text).xpath("//meta[@name='description']/@content")
        assert meta == walled.description
        if walled.feed is not None:
            assert entries[walled.url] == walled.description
            with_feed += 1
        if walled.wall.kind == "paywall":
            assert walled.feed is not None and walled.visible[0].startswith(walled.description[:-1])
    assert with_feed == 4
