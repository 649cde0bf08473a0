"""The AEB scorer (bench/aeb.py) on hand-made texts and on the published predictions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench import aeb

T = "the quick brown fox jumps over the lazy dog"  # 9 tokens, 6 shingles


def test_tokens_are_runs_of_word_characters_with_case_kept() -> None:
    words = ["It", "s", "9", "30", "Café_au", "lait", "ÉTÉ"]
    assert aeb.tokens("It's 9:30 — Café_au-lait, ÉTÉ!") == words


def test_shingles_are_four_token_windows_counted() -> None:
    assert aeb.shingles("a b c d e a b c d") == Counter(
        {
            ("a", "b", "c", "d"): 2,
            ("b", "c", "d", "e"): 1,
            ("c", "d", "e", "a"): 1,
            ("d", "e", "a", "b"): 1,
            ("e", "a", "b", "c"): 1,
        }
    )


def test_a_short_text_is_one_shingle_and_an_empty_one_none() -> None:
    assert aeb.shingles("Hello, world") == Counter({("Hello", "world"): 1})
    assert aeb.shingles(" — ") == Counter()


def test_a_perfect_prediction_scores_one() -> None:
    score = aeb.score_page(T, T)
    assert (score.matches, score.extras, score.misses) == (6, 0, 0)
    assert score.precision == score.recall == 1.0


def test_extra_and_missing_shingles_lower_precision_and_recall() -> None:
    # the prediction adds "and runs away" (3 new shingles) and drops "dog" (1 missing shingle)
    score = aeb.score_page("the quick brown fox jumps over the lazy and runs away", T)
    assert (score.matches, score.extras, score.misses) == (5, 3, 1)
    assert score.precision == pytest.approx(5 / 8)
    assert score.recall == pytest.approx(5 / 6)


def test_shingles_match_as_multisets() -> None:
    # the truth says it twice, the prediction once: one match, one miss
    score = aeb.score_page("a b c d", "a b c d a b c d")
    assert (score.matches, score.extras, score.misses) == (1, 0, 4)


def test_case_and_punctuation_are_scored_as_the_readme_says() -> None:
    assert aeb.score_page("The quick, brown fox.", "the quick brown fox").matches == 0
    assert aeb.score_page("The quick, brown fox.", "The quick brown fox!").matches == 1


def test_empty_pages() -> None:
    nothing = aeb.score_page("", "")
    assert nothing.precision == nothing.recall == 1.0
    missed = aeb.score_page("", T)
    assert (missed.precision, missed.recall) == (0.0, 0.0)
    invented = aeb.score_page(T, "")
    assert (invented.precision, invented.recall) == (0.0, 0.0)


def test_precision_is_averaged_over_predicted_pages_and_recall_over_true_pages() -> None:
    pages = [
        aeb.PageScore(matches=1, extras=1, misses=0),  # P 0.5, R 1
        aeb.PageScore(matches=0, extras=0, misses=5),  # nothing predicted: R 0, no P
        aeb.PageScore(matches=0, extras=3, misses=0),  # nothing true: P 0, no R
    ]
    score = aeb.aggregate(pages)
    assert score.precision == pytest.approx((0.5 + 0.0) / 2)
    assert score.recall == pytest.approx((1.0 + 0.0) / 2)
    assert score.f1 == pytest.approx(2 * 0.25 * 0.5 / 0.75)
    assert score.pages == 3


def test_long_pages_weigh_no_more_than_short_ones() -> None:
    long_truth = " ".join(f"w{i}" for i in range(1000))
    score = aeb.evaluate({"long": long_truth, "short": "x"}, {"long": long_truth, "short": T})
    assert score.recall == pytest.approx(0.5)


def test_every_true_page_needs_a_prediction() -> None:
    with pytest.raises(ValueError, match="1 page"):
        aeb.evaluate({"a": T}, {"a": T, "b": T})


def test_prediction_files_plain_or_wrapped(tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"a": {"articleBody": "x"}, "b": {"articleBody": None}}))
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"version": "1", "output": {"a": {"articleBody": "x"}}}))
    assert aeb.load_predictions(plain) == {"a": "x", "b": ""}
    assert aeb.load_predictions(wrapped) == {"a": "x"}


def test_the_halves_are_fixed_disjoint_and_cover_every_page() -> None:
    ids = [f"{n:02x}" for n in range(11)]
    first, second = aeb.halves(reversed(ids))
    assert first | second == set(ids) and not first & second
    assert first == {ids[i] for i in range(0, 11, 2)}


def test_a_directory_without_the_benchmark_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="article-extraction-benchmark"):
        aeb.check_dir(tmp_path)


PUBLISHED = {  # the benchmark README's figures: F1, precision, recall
    "trafilatura": (0.958, 0.938, 0.978),
    "newspaper": (0.949, 0.964, 0.934),
    "news_please": (0.948, 0.964, 0.933),
    "readability": (0.922, 0.913, 0.931),
    "goose3": (0.896, 0.940, 0.856),
}


@pytest.mark.skipif(not aeb.DEFAULT_DIR.is_dir(), reason="bench/data/aeb is not in this checkout")
@pytest.mark.parametrize("system", sorted(PUBLISHED))
def test_the_scorer_reproduces_the_published_figures(system: str) -> None:
    truths = {key: body for key, (_, body) in aeb.load_truth(aeb.DEFAULT_DIR).items()}
    assert len(truths) == 181
    predictions = aeb.load_predictions(aeb.DEFAULT_DIR / "output" / f"{system}.json")
    score = aeb.evaluate(predictions, truths)
    f1, precision, recall = PUBLISHED[system]
    assert score.f1 == pytest.approx(f1, abs=0.001)
    assert score.precision == pytest.approx(precision, abs=0.001)
    assert score.recall == pytest.approx(recall, abs=0.001)
