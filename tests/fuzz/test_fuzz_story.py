"""Story files: any document either loads or gives one `StoryError` naming the field, and terms
that load always compile into a matcher that finds them."""

from __future__ import annotations

import tomllib
from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from crawler.core.normalise import WORD, fold
from crawler.core.story import MatchRule, StoryError, parse_story
from crawler.extraction.relevance import Matcher

ANY_TEXT = st.text(max_size=30)
VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=True),
        ANY_TEXT,
        st.dates(),
        st.sampled_from(["http://127.0.0.1:8001/", "ftp://x/", "http://[::1", "1h", "-3d", "0s"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(ANY_TEXT, children, max_size=3)
    ),
    max_leaves=12,
)
SOURCE_KEYS = st.sampled_from(["url", "name", "feeds", "sitemaps", "follow", "extra"])
TOP_KEYS = st.sampled_from(["name", "title", "since", "until", "match", "revisit", "other"])
MATCH = st.dictionaries(st.sampled_from(["all", "any", "none", "anyy"]), VALUES, max_size=3)
REVISIT = st.dictionaries(
    st.sampled_from(["first", "factor", "max", "age_factor", "stop_after"]), VALUES, max_size=3
)


@st.composite
def story_documents(draw: st.DrawFn) -> dict[str, object]:
    """Near-valid story files: the right keys with values of any type."""
    doc: dict[str, object] = draw(st.dictionaries(TOP_KEYS, VALUES, max_size=5))
    if draw(st.booleans()):
        doc["name"] = draw(st.sampled_from(["story", "el-salvador", "Bad Name", ""]))
    if draw(st.booleans()):
        doc["match"] = draw(MATCH)
    if draw(st.booleans()):
        doc["revisit"] = draw(REVISIT)
    doc["sources"] = draw(
        st.one_of(
            VALUES,
            st.lists(
                st.dictionaries(SOURCE_KEYS, VALUES, max_size=4).map(
                    lambda s: {"url": "http://127.0.0.1:8001/", **s}
                ),
                max_size=3,
            ),
        )
    )
    return doc


def _toml(value: object) -> str:
    """A TOML value for `value` (tomllib reads; nothing in the standard library writes)."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date):
        text = repr(value) if isinstance(value, float) else str(value)
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, str):
        return (
            '"'
            + "".join(
                c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}" for c in value
            )
            + '"'
        )
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"


def _document(doc: dict[str, object]) -> str:
    return "\n".join(f"{_toml(str(key))} = {_toml(value)}" for key, value in doc.items())


@given(story_documents())
@example({"name": "s", "sources": [{"url": "http://127.0.0.1:8001/", "follow": 2**40}]})
@example(
    {
        "name": "s",
        "revisit": {"factor": float("nan")},
        "sources": [{"url": "http://127.0.0.1:8001/"}],
    }
)
def test_story_loads_or_names_the_bad_field(doc: dict[str, object]) -> None:
    text = _document(doc)
    assert tomllib.loads(text) is not None  # the generator writes valid TOML
    try:
        story = parse_story(text)
    except StoryError as exc:
        assert str(exc)
        return
    assert story.sources
    Matcher(story.match)  # terms that load compile


@given(st.binary(max_size=500))
@example(b"\xff\xfe")
@example(b"name = 's'\n[[sources]]\nurl = 'http://[::1'\n")
def test_any_bytes_load_or_give_story_error(raw: bytes) -> None:
    try:
        parse_story(raw)
    except StoryError as exc:
        assert str(exc)


TERM = st.lists(
    st.sampled_from(["El", "Salvador", "préson", "CECOT", "a1", "日本"]), min_size=1, max_size=3
).map(" ".join)


@given(
    TERM,
    st.lists(st.sampled_from(["the", "offer", "Bukele", ",", "'s", "\n"]), max_size=20),
    st.booleans(),
)
def test_a_term_is_found_where_it_is_written(term: str, words: list[str], upper: bool) -> None:
    """Case, accents and the surrounding words never hide a term written whole in the text."""
    written = term.upper() if upper else term
    cut = len(words) // 2
    text = " ".join([*words[:cut], written, *words[cut:]])
    matcher = Matcher(MatchRule(all=(term,), any=(), none=()))
    hits = matcher.hits(text)
    assert hits.counts[term] >= 1
    assert hits.words == len(WORD.findall(fold(text)))
