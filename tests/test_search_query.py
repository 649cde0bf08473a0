"""The search query syntax: what parses to what, FTS5's rendering, and the errors users see."""

from __future__ import annotations

import re

import pytest

from crawler.core.search import All, AnyOf, QueryError, Term, parse, terms
from crawler.versions.passages import Marked, changed_matches, context, unmark
from storage.db.search import fts5_query


@pytest.mark.parametrize(
    ("query", "tree", "fts5"),
    [
        ("cecot", Term("cecot"), '"cecot"'),
        ("cecot prison", All((Term("cecot"), Term("prison"))), '("cecot" AND "prison")'),
        ("cecot AND prison", All((Term("cecot"), Term("prison"))), '("cecot" AND "prison")'),
        ('"El Salvador"', Term("El Salvador", phrase=True), '"El Salvador"'),
        ("deport*", Term("deport", prefix=True), '"deport" *'),
        ('"say ""no"""', None, None),
        (
            "a OR b c",
            AnyOf((Term("a"), All((Term("b"), Term("c"))))),
            '("a" OR ("b" AND "c"))',
        ),
        (
            "(a OR b) NOT c NOT d",
            All((AnyOf((Term("a"), Term("b"))),), (Term("c"), Term("d"))),
            '((("a" OR "b")) NOT ("c" OR "d"))',
        ),
        ("NOT NOT a", Term("a"), '"a"'),
        ("and or", All((Term("and"), Term("or"))), '("and" AND "or")'),
        ('say"x"', All((Term("say"), Term("x", phrase=True))), '("say" AND "x")'),
    ],
)
def test_parse_and_fts5(query: str, tree: object, fts5: str | None) -> None:
    if tree is None:
        with pytest.raises(QueryError):
            parse(query)
        return
    node = parse(query)
    assert node == tree
    assert fts5_query(node) == fts5


def test_quotes_inside_terms_are_escaped_for_fts5() -> None:
    assert fts5_query(Term('a"b')) == '"a""b"'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("NOT a", "NOT cannot stand alone"),
        ("a OR NOT b", "NOT cannot stand alone in OR"),
        ("NOT a NOT b", "NOT needs something"),
        ("(a", "not closed"),
        ("a)", "unexpected ')'"),
        ("a AND", "ends too soon"),
        ("OR a", "unexpected 'OR'"),
        ('"a', "phrase is not closed"),
        ("!!!", "no letter or digit"),
        ("don't*", "a prefix* is one word"),
    ],
)
def test_bad_queries_say_what_to_change(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse(query)


def test_terms_leave_out_excluded_ones() -> None:
    assert terms(parse("a (b OR c) NOT d")) == [Term("a"), Term("b"), Term("c")]


def test_unmark_and_changed_matches() -> None:
    old = unmark("The <CECOT> prison holds <CECOT> inmates.", "<", ">")
    assert old == Marked("The CECOT prison holds CECOT inmates.", ((4, 9), (23, 28)))
    new = unmark("The prison holds <CECOT> inmates and more.", "<", ">")
    removed, added = changed_matches(old, new)
    assert [old.text[s:e] for s, e in removed] == ["CECOT"]
    assert removed == [(4, 9)]  # the first one; the second stays
    assert added == []
    assert context(old, removed[0], "[", "]", width=10) == "The [CECOT] prison…"
