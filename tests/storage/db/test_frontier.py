"""The frontier a crawl starts from, on SQLite and PostgreSQL, at a chosen moment."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from crawler.core.revisit import PreviousCapture, RevisitPolicy
from storage.db.frontier import (
    Frontier,
    load_frontier,
    pages_with_requisites,
    store_page_requisites,
)
from storage.db.repository import Repository

from .factories import (
    DAILY,
    EXTRACTOR,
    OPTIONS,
    OTHER,
    STORY,
    T0,
    at,
    capture,
    gone,
    page,
    revisit_capture,
)

BASE = "http://news.example:8080/"
DUE, NOT_DUE, STOPPED, GONE = (BASE + name for name in ("due", "not-due", "stopped", "gone"))
HOUR = timedelta(hours=1)
POLICY = RevisitPolicy(first=HOUR, factor=2, max=timedelta(days=1), age_factor=0)
HOSTS = [DAILY.host, OTHER.host]


def alias(url: str) -> str:
    return url.replace(BASE, BASE + "r/")


@pytest.fixture
def known(repo: Repository, story_id: int) -> Repository:
    """Four articles of the story, each first reached through an alias (a redirect), at T0:

    due (next due T0 + 1 h), not-due (seen again at +30 min: next due +2 h 30 min),
    stopped (its policy stops at once) and gone (410 at +10 min).
    """
    for url in (DUE, NOT_DUE, STOPPED, GONE):
        policy = RevisitPolicy(first=HOUR, stop_after=HOUR / 2) if url == STOPPED else POLICY
        repo.write_batch(
            [],
            [page(alias(url), None, final_url=url, aliases=(alias(url),), text=f"Text of {url}")],
            story_id,
            policy=policy,
        )
    repo.write_batch(
        [], [page(NOT_DUE, None, text=f"Text of {NOT_DUE}", fetched_at=at(30))], story_id
    )
    repo.write_batch([], [], story_id, revisits=[gone(GONE, fetched_at=at(10))], policy=POLICY)
    return repo


def skipped(reason: str) -> dict[str, str]:
    urls = {DUE: "due", NOT_DUE: "not-due", STOPPED: "stopped", GONE: "gone"}
    return {u: reason for url, why in urls.items() if why == reason for u in (url, alias(url))}


def test_mode_due_fetches_what_is_due_and_skips_the_rest_with_their_aliases(
    known: Repository,
) -> None:
    frontier = load_frontier(known.engine, STORY.name, HOSTS, at(60), "due")
    assert frontier.due == [DUE]
    assert frontier.skip == skipped("not-due") | skipped("stopped") | skipped("gone")
    assert frontier.previous == {}  # no captures were archived


def test_due_means_due_by_now(known: Repository) -> None:
    before = load_frontier(known.engine, STORY.name, HOSTS, at(59), "due")
    assert (before.due, before.skip[DUE], before.skip[alias(DUE)]) == ([], "not-due", "not-due")
    later = load_frontier(known.engine, STORY.name, HOSTS, at(180), "due")
    assert later.due == [DUE, NOT_DUE]  # the longest due first
    assert later.skip == skipped("stopped") | skipped("gone")


def test_mode_all_fetches_every_article_deleted_ones_included(known: Repository) -> None:
    frontier = load_frontier(known.engine, STORY.name, HOSTS, at(0), "all")
    assert sorted(frontier.due) == sorted([DUE, NOT_DUE, STOPPED, GONE])
    assert frontier.skip == {}


def test_mode_none_fetches_none_and_skips_every_known_url(known: Repository) -> None:
    frontier = load_frontier(known.engine, STORY.name, HOSTS, at(600), "none")
    assert frontier.due == []
    assert frontier.skip == {
        u: "known" for url in (DUE, NOT_DUE, STOPPED, GONE) for u in (url, alias(url))
    }


def test_only_the_story_and_the_hosts_asked_for(known: Repository) -> None:
    other_story = known.ensure_story(replace(STORY, name="other", sources=(DAILY,)))
    known.write_batch([], [page(BASE + "theirs", None)], other_story, policy=POLICY)
    assert load_frontier(known.engine, STORY.name, HOSTS, at(60), "due").due == [DUE]
    assert load_frontier(known.engine, "other", HOSTS, at(60), "due").due == [BASE + "theirs"]
    elsewhere = load_frontier(known.engine, STORY.name, [OTHER.host], at(60), "due")
    assert elsewhere == Frontier()


def test_a_new_story_on_a_known_site_has_only_previous_captures(known: Repository) -> None:
    known.write_batch([capture(DUE, "r1")], [], None)
    frontier = load_frontier(known.engine, "new-story", HOSTS, T0, "due")
    assert (frontier.due, frontier.skip, list(frontier.previous)) == ([], {}, [DUE])


def test_previous_is_the_newest_body_with_the_newest_validators(
    repo: Repository, story_id: int
) -> None:
    a, b, c, d = (BASE + name for name in "abcd")
    repo.write_batch(
        [
            capture(a, "a1", etag='"1"', last_modified="Sat, 01 Mar 2025 12:00:00 GMT"),
            capture(a, "a2", fetched_at=at(10), etag='"2"'),
            revisit_capture(a, "a3", "a2", fetched_at=at(20), etag='"3"'),
            capture(b, "b1", etag='"b"'),
            capture(b, "b2", fetched_at=at(10), status=503),
            capture(c, "c1", status=301, location=d),
            capture("https://other.example/x", "x1"),
            capture("https://unknown.example/y", "y1"),
        ],
        [],
        story_id,
    )
    frontier = load_frontier(repo.engine, STORY.name, [DAILY.host], at(30), "due")
    assert frontier.previous == {
        a: PreviousCapture(
            url=a,
            record_id="<urn:uuid:a2>",
            target_uri=a,
            fetched_at=at(10),
            payload_digest="sha1:A2",
            etag='"3"',  # the 304 revisit's
            last_modified=None,
        ),
        b: PreviousCapture(b, "<urn:uuid:b1>", b, T0, "sha1:B1", '"b"', None),
    }


def test_a_revisit_requests_the_form_last_published(known: Repository, story_id: int) -> None:
    from crawler.core.urls import PublishedForm

    older, newer = DUE + "?utm_source=a", DUE + "?utm_source=b"
    known.write_batch([], [], story_id, forms=[PublishedForm(newer, DUE, at(20))])
    known.write_batch([], [], story_id, forms=[PublishedForm(older, DUE, at(10))])
    frontier = load_frontier(known.engine, STORY.name, HOSTS, at(60), "due")
    assert frontier.published == {DUE: newer}


def test_unjudged_are_the_known_pages_this_story_has_not_judged(
    repo: Repository, story_id: int
) -> None:
    """Another story's article, and an HTML page archived but never extracted, must be extracted
    for this story even when they come back unchanged; this story's article and a page that is
    no article (a listing) need not."""
    mine, theirs, never, listing = (BASE + name for name in ("mine", "theirs", "never", "list"))
    other = repo.ensure_story(replace(STORY, name="other"))
    repo.write_batch(
        [capture(mine, "m1"), capture(listing, "l1")],
        [page(mine, "m1"), page(listing, "l1", text=None)],
        story_id,
        policy=POLICY,
    )
    repo.write_batch([capture(theirs, "t1")], [page(theirs, "t1")], other, policy=POLICY)
    repo.write_batch([capture(never, "n1")], [], None)
    frontier = load_frontier(repo.engine, STORY.name, HOSTS, at(30), "due")
    assert set(frontier.previous) == {mine, theirs, never, listing}
    assert frontier.unjudged == {theirs, never}
    new_story = load_frontier(repo.engine, "new-story", HOSTS, at(30), "due")
    assert new_story.unjudged == {mine, theirs, never}


def test_a_page_judged_by_other_rules_options_or_a_failure_is_unjudged(
    repo: Repository, story_id: int
) -> None:
    """A page that is no article by today's extractor and options stays judged; one that other
    rules or options rejected, or whose extraction failed, is extracted again when it comes back
    unchanged (before every known URL carried its capture, such a leaf always was)."""
    today, older, other, failed = (BASE + n for n in ("today", "older", "other", "failed"))
    extraction = (EXTRACTOR, OPTIONS)
    crashed = page(failed, "f1", text=None)
    assert crashed.extraction is not None
    crashed = replace(
        crashed, extraction=replace(crashed.extraction, reason="error: BrokenProcessPool: died")
    )
    repo.write_batch(
        [capture(u, r) for u, r in ((today, "t1"), (older, "o1"), (other, "o2"), (failed, "f1"))],
        [
            page(today, "t1", text=None),
            page(older, "o1", text=None, extractor="newsarchive 0.0.1 / trafilatura 1.0.0"),
            page(other, "o2", text=None, options="ba9876543210"),
            crashed,
        ],
        story_id,
        policy=POLICY,
    )
    frontier = load_frontier(repo.engine, STORY.name, HOSTS, at(30), "due", extraction)
    assert set(frontier.previous) == {today, older, other}  # a failure is no comparison
    assert frontier.unjudged == {older, other, failed}
    # without an extraction to compare with, any extraction judged the page
    assert load_frontier(repo.engine, STORY.name, HOSTS, at(30), "due").unjudged == frozenset()


def test_a_body_whose_extraction_failed_is_no_previous_capture(
    repo: Repository, story_id: int
) -> None:
    """An article revisited after its newest body's extraction failed (a worker that died, a
    timeout) is fetched unconditionally and archived whole, so that it is extracted again: a
    revisit record of that body would never be. Once an extraction of it succeeds (a
    re-extraction), it is compared with again."""
    url = BASE + "failed"
    repo.write_batch([capture(url, "f1")], [page(url, "f1")], story_id, policy=POLICY)
    failed = page(url, "f2", text=None, fetched_at=at(10))
    assert failed.extraction is not None
    failed = replace(failed, extraction=replace(failed.extraction, reason="error: Timeout"))
    repo.write_batch(
        [capture(url, "f2", fetched_at=at(10), etag='"2"')], [failed], story_id, policy=POLICY
    )
    frontier = load_frontier(repo.engine, STORY.name, HOSTS, at(600), "due")
    assert frontier.due == [url]
    assert url not in frontier.previous  # no validators either: the answer comes back whole
    repo.write_batch([], [page(url, "f2", fetched_at=at(20))], story_id, policy=POLICY)
    again = load_frontier(repo.engine, STORY.name, HOSTS, at(600), "due")
    assert again.previous[url].record_id == "<urn:uuid:f2>"
    assert again.previous[url].etag == '"2"'


def test_a_body_that_failed_twice_is_compared_again(repo: Repository, story_id: int) -> None:
    """The same bytes failing on their second fetch too fail every time (an exotic page, a bug):
    fetched whole once more they would be archived whole on every crawl, so the newest copy is
    the previous capture again, and the next copies are revisit records."""
    url = BASE + "always-fails"
    first = capture(url, "g1", fetched_at=at(10))
    second = replace(capture(url, "g2", fetched_at=at(20)), payload_digest=first.payload_digest)
    for n, (record, body) in enumerate((("g1", first), ("g2", second))):
        failed = page(url, record, text=None, fetched_at=body.fetched_at)
        assert failed.extraction is not None
        failed = replace(failed, extraction=replace(failed.extraction, reason="error: ValueError"))
        repo.write_batch([body], [failed], story_id, policy=POLICY)
        frontier = load_frontier(repo.engine, STORY.name, HOSTS, at(600), "due")
        if n == 0:
            assert url not in frontier.previous  # the first failure: fetched whole once more
    assert frontier.previous[url].record_id == "<urn:uuid:g2>"


def test_a_page_is_known_only_once_every_requisite_it_loads_is_archived(engine: Engine) -> None:
    """`page_requisites` holds what a body loads; whether it was archived is judged at the next
    crawl's start, from the captures it finds: a requisite that failed, went over the per-page
    limit or was cut off by a stop is still missing then, and the page is read again."""
    css, img = BASE + "site.css", BASE + "photo.jpg"
    store_page_requisites(
        engine, [("<urn:uuid:a>", [css, img]), ("<urn:uuid:b>", []), ("<urn:uuid:c>", [css])], 1
    )
    assert pages_with_requisites(engine, {css}, 1) == {"<urn:uuid:b>", "<urn:uuid:c>"}
    assert pages_with_requisites(engine, {css, img}, 1) == {
        "<urn:uuid:a>",
        "<urn:uuid:b>",
        "<urn:uuid:c>",
    }
    assert pages_with_requisites(engine, set(), 1) == {"<urn:uuid:b>"}
    # a body read again (its requisites were missing) replaces its row
    store_page_requisites(engine, [("<urn:uuid:a>", [css])], 1)
    assert pages_with_requisites(engine, {css}, 1) == {
        "<urn:uuid:a>",
        "<urn:uuid:b>",
        "<urn:uuid:c>",
    }


def test_pages_read_by_another_version_of_the_finder_are_not_known(engine: Engine) -> None:
    """A finder that finds more kinds of requisite has every page read once more, so that what
    it now finds is asked for; the rows it stores then count."""
    css = BASE + "site.css"
    store_page_requisites(engine, [("<urn:uuid:a>", [css]), ("<urn:uuid:b>", [])], 1)
    assert pages_with_requisites(engine, {css}, 2) == set()
    store_page_requisites(engine, [("<urn:uuid:a>", [css, BASE + "font.woff2"])], 2)
    assert pages_with_requisites(engine, {css}, 2) == set()  # the font is not archived
    assert pages_with_requisites(engine, {css, BASE + "font.woff2"}, 2) == {"<urn:uuid:a>"}
    assert pages_with_requisites(engine, {css}, 1) == {"<urn:uuid:b>"}


def test_two_crawls_storing_the_same_pages_in_other_orders_both_succeed(engine: Engine) -> None:
    """Two crawls sharing a database read the same unchanged pages, each in its own order: their
    upserts of the same keys must not deadlock (on PostgreSQL one of them was aborted, and its
    whole batch lost), nor one of them fail on the other's rows. (SQLite's writers take turns,
    the second waiting out the first under the busy timeout.)"""
    pages = [(f"<urn:uuid:{n:05d}>", [BASE + "site.css"]) for n in range(2000)]
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def store(batch: list[tuple[str, list[str]]]) -> None:
        start.wait()
        try:
            store_page_requisites(engine, batch, 1)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=store, args=(batch,)) for batch in (pages, pages[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(pages_with_requisites(engine, {BASE + "site.css"}, 1)) == 2000
