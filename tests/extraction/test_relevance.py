"""Relevance: the story's terms, its window, and a score that grows with the evidence."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.core.article import Article
from crawler.core.story import MatchRule, Source, Story
from crawler.extraction.relevance import Matcher, score

RULE = MatchRule(all=("El Salvador",), any=("prison*", "jail*", "CECOT"), none=("football",))


def story(
    rule: MatchRule = RULE,
    since: date | None = date(2025, 2, 1),
    until: date | None = date(2025, 2, 28),
) -> Story:
    source = Source(name="Example", url="http://127.0.0.1:8001/")
    return Story(
        name="el-salvador",
        title="El Salvador",
        sources=(source,),
        match=rule,
        since=since,
        until=until,
    )


def article(text: str, title: str = "", published: date | None = date(2025, 2, 4)) -> Article:
    return Article(
        title=title,
        authors=(),
        published=published,
        modified=None,
        language="en",
        site_name=None,
        canonical_url=None,
        description=None,
        text=text,
        text_sha256="0" * 64,
        word_count=0,
    )


def matches(term: str, text: str) -> bool:
    return Matcher(MatchRule(any=(term,))).hits(text).counts[term] > 0


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("prison", "the prison was full", True),
        ("prison", "the prisons were full", False),  # whole words
        ("jail", "a jailbreak", False),
        ("prison*", "prison", True),  # a prefix
        ("prison*", "the prisons were full", True),
        ("prison*", "a prisoner", True),
        ("prison*", "he was imprisoned", False),  # a prefix of the word, not of a part of it
        ("CECOT", "the cecot complex", True),  # case
        ("cecot", "the CECOT complex", True),
        ("Guantánamo", "guantanamo bay", True),  # accents
        ("guantanamo", "GUANTÁNAMO BAY", True),
        ("Straße", "STRASSE", True),
        ("El Salvador", "talks in El Salvador on Monday", True),  # a phrase
        ("El Salvador", "El  Salvador", True),
        ("El Salvador", "Salvador, El", False),
        ("El Salvador", "El Salvadorian", False),
        ("El Salvador", "El Salvador\u2019s president", True),  # an apostrophe ends a word
        ("El Salvador", "El Salvador's president", True),
        ("El Salva*", "El Salvadoran officials", True),  # a phrase ending in a prefix
        ("US", "US-bound flights", True),  # a hyphen ends a word
        ("MS-13", "the MS-13 gang", True),
        ("MS-13", "the MS-130 gang", False),
    ],
)
def test_term_matching(term: str, text: str, expected: bool) -> None:
    assert matches(term, text) is expected


def test_hits_count_occurrences_and_words() -> None:
    hits = Matcher(RULE).hits("El Salvador's prisons, prison prisoners. Not football.")
    assert dict(hits.counts) == {
        "El Salvador": 1,
        "prison*": 3,
        "jail*": 0,
        "CECOT": 0,
        "football": 1,
    }
    assert hits.words == 8  # el salvador s prisons prison prisoners not football


def test_a_term_without_letters_is_refused() -> None:
    with pytest.raises(ValueError, match="'--' has no letters or digits"):
        Matcher(MatchRule(any=("--",)))


def test_an_article_with_every_required_term_is_relevant() -> None:
    relevance = score(
        article("Bukele offers El Salvador's prisons; CECOT holds 40,000.", title="Offer"), story()
    )
    assert relevance.relevant
    assert relevance.matched_terms == ("CECOT", "El Salvador", "prison*")  # as written, sorted
    assert relevance.reason == "matched all of [El Salvador], any of [prison*, CECOT]"
    assert 0 < relevance.score <= 1


def test_the_title_counts() -> None:
    relevance = score(article("Prisoners would be sent abroad.", title="El Salvador"), story())
    assert relevance.relevant


def test_a_missing_required_term_is_named() -> None:
    relevance = score(article("Honduras offers its prisons."), story())
    assert not relevance.relevant and relevance.score == 0
    assert relevance.reason == "missing required term 'El Salvador'"
    assert relevance.matched_terms == ("prison*",)


def test_every_missing_required_term_is_named() -> None:
    rule = MatchRule(all=("El Salvador", "Bukele", "fee"))
    relevance = score(article("Bukele spoke."), story(rule))
    assert relevance.reason == "missing required terms 'El Salvador', 'fee'"


def test_no_optional_term_found_is_named() -> None:
    relevance = score(article("El Salvador held elections."), story())
    assert not relevance.relevant and relevance.score == 0
    assert relevance.reason == "none of [prison*, jail*, CECOT] found"


def test_an_excluded_term_rules_an_article_out() -> None:
    relevance = score(article("El Salvador's football team visited a prison."), story())
    assert not relevance.relevant and relevance.score == 0
    assert relevance.reason == "contains excluded term 'football'"


def test_an_empty_any_list_requires_nothing_more() -> None:
    rule = MatchRule(all=("El Salvador",))
    relevance = score(article("El Salvador held elections."), story(rule))
    assert relevance.relevant
    assert relevance.reason == "matched all of [El Salvador]"


def test_a_story_without_terms_takes_every_article_in_its_window() -> None:
    relevance = score(article("Anything at all."), story(MatchRule()))
    assert relevance.relevant and relevance.score == 1
    assert relevance.matched_terms == ()


@pytest.mark.parametrize(
    ("published", "reason"),
    [
        (date(2025, 1, 31), "published 2025-01-31, before the story window (from 2025-02-01)"),
        (date(2025, 3, 1), "published 2025-03-01, after the story window (until 2025-02-28)"),
    ],
)
def test_an_article_outside_the_window_is_not_relevant(published: date, reason: str) -> None:
    relevance = score(article("El Salvador offers its prisons.", published=published), story())
    assert not relevance.relevant and relevance.score == 0
    assert relevance.reason == reason
    assert relevance.matched_terms == ("El Salvador", "prison*")


@pytest.mark.parametrize("published", [date(2025, 2, 1), date(2025, 2, 28)])
def test_the_window_includes_its_ends(published: date) -> None:
    assert score(article("El Salvador prisons", published=published), story()).relevant


def test_an_unknown_date_does_not_rule_an_article_out_and_says_so() -> None:
    relevance = score(article("El Salvador offers its prisons.", published=None), story())
    assert relevance.relevant
    assert relevance.reason.endswith(
        "; publication date unknown, so the story window was not checked"
    )


def test_without_a_window_an_unknown_date_is_not_mentioned() -> None:
    relevance = score(article("El Salvador prisons", published=None), story(since=None, until=None))
    assert relevance.relevant
    assert "unknown" not in relevance.reason


FILLER = " ".join(["word"] * 200)


def test_the_score_grows_with_the_terms_found() -> None:
    one = score(article(f"El Salvador prison {FILLER} word word"), story())
    two = score(article(f"El Salvador prison {FILLER} jail word"), story())
    three = score(article(f"El Salvador prison {FILLER} jail CECOT"), story())
    assert 0 < one.score < two.score < three.score <= 1


def test_the_score_grows_with_occurrences_and_is_capped() -> None:
    scores = [
        score(article(f"El Salvador CECOT jail {' prison' * n} {FILLER}"), story()).score
        for n in range(0, 40, 4)
    ]
    assert scores == sorted(scores)
    assert scores[0] < scores[-1] == 1


def test_a_relevant_article_naming_every_term_scores_at_least_half() -> None:
    text = f"El Salvador prison jail CECOT {FILLER * 20}"
    assert 0.5 <= score(article(text), story()).score < 0.6
