"""serve's reads: an article with its stories and captures, where a capture's body is, and
which of a page's links are archived."""

from __future__ import annotations

from storage.db import browse
from storage.db.repository import Repository

from .factories import at, capture, page, revisit_capture

A = "http://news.example:8080/a"
ALIAS = "http://news.example:8080/a?utm_source=x"


def test_article_captures_and_links(repo: Repository, story_id: int) -> None:
    repo.write_batch(
        [capture(ALIAS, "r0", status=301, location=A), capture(A, "r1", offset=100)],
        [page(ALIAS, "r1", final_url=A, aliases=(ALIAS,))],
        story_id,
    )
    repo.write_batch([revisit_capture(A, "r2", "r1", fetched_at=at(60), status=200)], [], story_id)
    article_id = browse.article_id(repo.engine, A)
    assert article_id is not None
    assert browse.article_id(repo.engine, "http://news.example:8080/none") is None
    info = browse.article(repo.engine, article_id)
    assert info is not None and info.url == A
    assert [(s.story, s.relevant, s.reason) for s in info.stories] == [
        ("harbour-strike", True, "all")
    ]
    assert [(c.status, c.record_type) for c in info.captures] == [
        (301, "response"),
        (200, "response"),
        (200, "revisit"),
    ]
    assert browse.article(repo.engine, 10_000) is None

    revisit = info.captures[-1]
    place = browse.capture_place(repo.engine, revisit.id)
    assert place is not None
    assert (place.body_filename, place.body_offset) == (info.captures[1].warc_filename, 100)
    redirect = browse.capture_place(repo.engine, info.captures[0].id)
    assert redirect is not None and redirect.location == A

    found = browse.latest_captures(
        repo.engine, [A, f"{A}#part", "http://[::1", "http://news.example:8080/unknown"]
    )
    assert found == {A: revisit.id, f"{A}#part": revisit.id}  # the latest, fragment or not
