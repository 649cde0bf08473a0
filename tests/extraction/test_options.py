"""`ExtractOptions`: one validated, picklable options object with a stable digest."""

from __future__ import annotations

import dataclasses
import pickle
import re

import pytest

from crawler import settings
from crawler.extraction.options import ExtractOptions


def test_the_defaults_are_the_crawl_settings() -> None:
    options = ExtractOptions()
    assert options.favor == settings.EXTRACT_FAVOR
    assert options.include_tables is settings.EXTRACT_INCLUDE_TABLES
    assert options.include_comments is settings.EXTRACT_INCLUDE_COMMENTS
    assert options.min_words == settings.EXTRACT_MIN_WORDS


def test_from_mapping_takes_values_by_field_name() -> None:
    options = ExtractOptions.from_mapping(
        {"favor": "precision", "include_tables": False, "include_comments": True, "min_words": 50}
    )
    assert options == ExtractOptions(
        favor="precision", include_tables=False, include_comments=True, min_words=50
    )


def test_from_mapping_keeps_defaults_for_missing_and_none_values() -> None:
    assert ExtractOptions.from_mapping({"favor": None, "min_words": 10}) == ExtractOptions(
        min_words=10
    )


def test_from_mapping_refuses_an_unknown_option() -> None:
    message = (
        "unknown extraction option(s) min_word "
        "(known: favor, include_comments, include_tables, min_words, min_words_declared)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        ExtractOptions.from_mapping({"min_word": 10})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"favor": "fast"}, "favor must be one of 'precision', 'recall', 'balanced', got 'fast'"),
        ({"favor": "Precision"}, "favor must be one of"),
        ({"include_tables": "yes"}, "include_tables must be true or false, got 'yes'"),
        ({"include_comments": 1}, "include_comments must be true or false, got 1"),
        ({"min_words": -1}, "min_words must be 0 or more, got -1"),
        ({"min_words_declared": -1}, "min_words_declared must be 0 or more, got -1"),
        ({"min_words": "80"}, "min_words must be a whole number, got '80'"),
        ({"min_words": 80.0}, "min_words must be a whole number, got 80.0"),
        ({"min_words": True}, "min_words must be a whole number, got True"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        ExtractOptions.from_mapping(values)


def test_the_digest_is_stable_across_runs() -> None:
    # Stored with every extraction: changing how it is computed orphans the recorded ones.
    # Every field is given, so that a change of default does not change what is pinned here.
    options = ExtractOptions(
        favor="balanced", include_tables=True, include_comments=False, min_words=80
    )
    assert options.digest == "2f496c0ef13f"
    # an option added later, at the value it was added with, keeps the earlier digests
    assert (
        ExtractOptions(
            favor="balanced",
            include_tables=True,
            include_comments=False,
            min_words=80,
            min_words_declared=25,
        ).digest
        == "2f496c0ef13f"
    )
    assert ExtractOptions(favor="balanced", min_words_declared=30).digest != "2f496c0ef13f"


def test_the_digest_tells_options_apart() -> None:
    variants = [
        ExtractOptions(),
        ExtractOptions(favor="balanced"),
        ExtractOptions(favor="recall"),
        ExtractOptions(include_tables=False),
        ExtractOptions(include_comments=True),
        ExtractOptions(min_words=81),
    ]
    assert len({options.digest for options in variants}) == len(variants)
    assert ExtractOptions(min_words=81).digest == ExtractOptions(min_words=81).digest


def test_options_are_frozen_and_picklable() -> None:
    options = ExtractOptions(favor="recall", min_words=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.min_words = 6  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(options)) == options
