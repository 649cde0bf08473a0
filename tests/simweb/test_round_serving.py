"""Serving across rounds: conditional requests, listings, the request log and moving in time."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from lxml import html

from crawler.simweb import History, SimPublisher, SimWeb
from tests.simweb.helpers import (
    ROUNDS,
    Snapshots,
    article_links,
    fetch,
    sitemap_dates,
    untracked,
)

NO_VALIDATOR = {"If_None_Match": '"none"', "If_Modified_Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
"""What to send when round 0 sent no validator of that kind: it must not earn a 304."""


def changed_histories(web: SimWeb) -> list[History]:
    timeline = web.truth.timeline
    return [h for h in timeline.histories.values() if any(h.changed(n) for n in ROUNDS)]


def publisher_of(web: SimWeb, url: str) -> SimPublisher:
    return next(p for p in web.publishers if p.host == urlsplit(url).netloc)


def listing_pages(publisher: SimPublisher) -> dict[str, str]:
    """URL -> link text on its home, section and archive pages, as served now."""
    base = publisher.base_url
    links = article_links(base, fetch(base).text)
    queue = [base, *(u for u in links if u.count("/") == 4 and u.endswith("/"))]
    queue.append(base + "archive/?page=1")
    out: dict[str, str] = {}
    for page in queue:
        for a in html.fromstring(fetch(page).text).xpath("//a[@href]"):
            url = urljoin(page, a.get("href"))
            if "/archive/?page=" in url and url not in queue:
                queue.append(url)
            out[url] = a.text_content()
    return out


def listed(publisher: SimPublisher) -> dict[str, tuple[str | None, date | None]]:
    """URL -> (title, last-updated date) from its feed or sitemaps, as served now."""
    out: dict[str, tuple[str | None, date | None]] = {}
    for feed in publisher.feeds:
        for entry in feedparser.parse(fetch(feed).body).entries:
            # RSS items carry no update time; Atom entries do.
            updated = entry.get("updated_parsed") if feed.endswith("atom.xml") else None
            out[untracked(entry.link)] = (entry.title, date(*updated[:3]) if updated else None)
    robots = fetch(publisher.base_url + "robots.txt").text
    maps = [line.removeprefix("Sitemap: ") for line in robots.splitlines() if "Sitemap:" in line]
    for sitemap in [*publisher.sitemaps, *maps]:
        out |= {url: (None, lastmod) for url, (_, lastmod) in sitemap_dates(sitemap).items()}
    return out


def test_conditional_requests_get_304_only_with_validators_and_no_change(
    timed: SimWeb, served: Snapshots
) -> None:
    for n in ROUNDS:
        timed.set_round(n)
        for article in timed.truth.articles:
            history = timed.truth.timeline.history(article.url)
            first = served[0][article.url]
            conditions = {
                "If_None_Match": first.header("ETag"),
                "If_Modified_Since": first.header("Last-Modified"),
            }
            unchanged = history.version(n) is not None and history.modified(n) is None
            gone = history.deleted.status if history.deleted and n >= history.deleted.round else 0
            for name, value in conditions.items():
                sent = {name: value or NO_VALIDATOR[name]}
                resp = fetch(article.url, Accept_Encoding="gzip", **sent)
                expected = 304 if unchanged and value else gone or 200
                assert resp.status == expected, (article.url, n, name)
                assert (resp.body == b"") == (expected == 304)
    timed.set_round(0)


def test_listings_follow_edits_and_deletions(timed: SimWeb) -> None:
    for n in ROUNDS:
        timed.set_round(n)
        for history in changed_histories(timed):
            publisher = publisher_of(timed, history.url)
            article = timed.truth.article(history.url)
            assert article is not None
            pages, entries = listing_pages(publisher), listed(publisher)
            version = history.version(n)
            if version is None:
                assert history.deleted is not None
                assert history.url not in pages, (history.url, n)
                assert (history.url in entries) == history.deleted.listed, (history.url, n)
                continue
            # Listings carry what their format has: RSS titles, Atom both, sitemaps dates.
            assert pages[history.url] == version.title, (history.url, n)
            title, updated = entries[history.url]
            assert title in (None, version.title), (history.url, n)
            when = history.modified(n)
            assert updated in (None, when.date() if when else article.published), (history.url, n)
    timed.set_round(0)


def test_related_boxes_keep_links_to_deleted_articles(timed: SimWeb, served: Snapshots) -> None:
    for history in changed_histories(timed):
        if history.deleted is None:
            continue
        n = history.deleted.round
        host = urlsplit(history.url).netloc
        linking = [
            url
            for url, resp in served[n].items()
            if urlsplit(url).netloc == host
            and resp.status == 200
            and history.url in article_links(url, resp.text)
        ]
        assert linking, history.url
        assert all(not timed.truth.timeline.history(url).changed(n) for url in linking)


def test_going_back_serves_the_same_bytes(timed: SimWeb, served: Snapshots) -> None:
    timed.set_round(len(ROUNDS) - 1)
    timed.set_round(1)
    for url, resp in served[1].items():
        assert fetch(url, Accept_Encoding="gzip").body == resp.body, url
    timed.set_round(0)
    for url, resp in served[0].items():
        assert fetch(url, Accept_Encoding="gzip").body == resp.body, url


def test_the_log_records_each_requests_round(timed: SimWeb) -> None:
    agent = f"simweb-test/{uuid.uuid4()}"
    home = timed.publishers[0].base_url
    for n in (2, 1, 0):
        timed.set_round(n)
        fetch(home, User_Agent=agent)
    assert [e.round for e in timed.log.entries() if e.user_agent == agent] == [2, 1, 0]


def test_round_api() -> None:
    sim = SimWeb()
    assert sim.round == 0
    with pytest.raises(ValueError):
        sim.set_round(-1)
    sim.set_round(2)
    with sim:
        assert sim.round == 2
        [corrected] = [h for h in changed_histories(sim) if len(h.versions) == 3]
        page = fetch(corrected.url).text
        assert html.fromstring(page).findtext(".//h1") == corrected.versions[2].title
        article = sim.truth.article(corrected.url)
        assert article is not None and article.title == corrected.versions[0].title
        assert sim.advance() == 3 and sim.round == 3
        assert fetch(corrected.url).text == page, "rounds after the last change nothing"
        fetch(sim.publishers[0].base_url)
        assert {e.round for e in sim.log.entries()} == {2, 3}
