"""The rules that give every URL exactly one outcome per crawl run (crawler.core.outcomes)."""

from __future__ import annotations

from crawler.core.outcomes import OutcomeBook, Stage

A = "http://news.example/a"
B = "http://news.example/b"


def test_the_first_final_outcome_wins() -> None:
    book = OutcomeBook()
    first = book.final(A, "redirected", "redirect", detail=B, source="news.example")
    assert first is not None and (first.outcome, first.reason, first.detail) == (
        "redirected",
        "redirect",
        B,
    )
    assert book.final(A, "stored", "article") is None
    assert book.close() == []
    assert len(book) == 1


def test_a_request_overrides_discovery_passing_a_url_over() -> None:
    """A feed dates the article outside the window; a link to it is followed all the same."""
    book = OutcomeBook()
    book.provisional(A, Stage.PASSED_OVER, "skipped", "out-of-window", source="news.example")
    book.provisional(A, Stage.SCHEDULED, "skipped", "not-fetched")
    stored = book.final(A, "stored", "article")
    assert stored is not None and stored.reason == "article"
    assert stored.source == "news.example"  # kept from the provisional outcome
    assert book.close() == []


def test_a_later_stage_replaces_an_earlier_one_and_not_the_reverse() -> None:
    book = OutcomeBook()
    book.provisional(A, Stage.SCHEDULED, "skipped", "not-fetched")
    book.provisional(A, Stage.DUPLICATE, "skipped", "duplicate")
    book.provisional(A, Stage.PASSED_OVER, "skipped", "off-site")
    book.provisional(B, Stage.DUPLICATE, "skipped", "duplicate")
    book.provisional(B, Stage.ANSWERED, "failed", "unreported")
    settled = {o.url: o.reason for o in book.close()}
    assert settled == {A: "not-fetched", B: "unreported"}


def test_on_one_stage_the_first_provisional_outcome_stays() -> None:
    book = OutcomeBook()
    book.provisional(
        A, Stage.PASSED_OVER, "skipped", "out-of-window", detail="published 2025-03-17"
    )
    book.provisional(A, Stage.PASSED_OVER, "skipped", "known-not-due")
    (settled,) = book.close()
    assert (settled.reason, settled.detail) == ("out-of-window", "published 2025-03-17")


def test_a_settled_url_ignores_provisional_outcomes_and_close_settles_each_url_once() -> None:
    book = OutcomeBook()
    assert book.final(A, "failed", "http-500") is not None
    book.provisional(A, Stage.DUPLICATE, "skipped", "duplicate")
    book.provisional(B, Stage.PASSED_OVER, "skipped", "off-site")
    assert A in book and B in book and book.is_final(A) and not book.is_final(B)
    assert [o.url for o in book.close()] == [B]
    assert book.close() == []
    assert book.final(B, "stored", "article") is None
    assert len(book) == 2
