"""The word-level diff: ops and counts on crafted texts, the three renderings, and its speed."""

from __future__ import annotations

import io
import random
import time

import pytest

from crawler.versions.diff import (
    GREEN,
    RED_STRUCK,
    RESET,
    Gap,
    Op,
    as_json,
    in_context,
    render,
    render_ansi,
    render_plain,
    version_diff,
    word_diff,
)

TEXT = "The dockers went on strike at the harbour.\nThe port is closed."


def ops(old: str, new: str) -> list[tuple[str, str]]:
    return [(op.kind, op.text) for op in word_diff(old, new).ops]


def test_a_changed_word_is_one_replacement() -> None:
    diff = word_diff(TEXT, TEXT.replace("harbour", "docks"))
    assert diff.ops == (
        Op("equal", "The dockers went on strike at the "),
        Op("delete", "harbour"),
        Op("insert", "docks"),
        Op("equal", ".\nThe port is closed."),
    )
    assert (diff.words_added, diff.words_removed, diff.changed) == (1, 1, True)


def test_changed_words_together_are_one_replacement() -> None:
    old = "Bukele said so, according to local media."
    new = "Bukele said so, according to El Salvador's justice ministry."
    assert ops(old, new) == [
        ("equal", "Bukele said so, according to "),
        ("delete", "local media"),
        ("insert", "El Salvador's justice ministry"),
        ("equal", "."),
    ]
    diff = word_diff(old, new)
    assert (diff.words_added, diff.words_removed) == (5, 2)  # an apostrophe ends a word


def test_an_appended_paragraph() -> None:
    diff = word_diff(TEXT, TEXT + "\nUpdate: talks resume on Tuesday.")
    assert diff.ops == (Op("equal", TEXT), Op("insert", "\nUpdate: talks resume on Tuesday."))
    assert (diff.words_added, diff.words_removed) == (5, 0)


def test_a_changed_title() -> None:
    diff = word_diff("Dockers strike", "Dockers strike ends")
    assert diff.ops == (Op("equal", "Dockers strike"), Op("insert", " ends"))
    assert (diff.words_added, diff.words_removed) == (1, 0)
    assert render_plain(word_diff("Dockers strike", "Dockers walk out")) == (
        "Dockers [-strike-]{+walk out+}"
    )


def test_identical_and_empty_texts() -> None:
    diff = word_diff(TEXT, TEXT)
    assert (diff.ops, diff.words_added, diff.words_removed) == ((Op("equal", TEXT),), 0, 0)
    assert not diff.changed
    assert word_diff("", "").ops == ()
    assert ops("", "Breaking.") == [("insert", "Breaking.")]
    assert ops("Gone.", "") == [("delete", "Gone.")]


def test_punctuation_and_paragraph_breaks_change_alone_and_count_no_words() -> None:
    assert ops("ports, docks", "ports; docks") == [
        ("equal", "ports"),
        ("delete", ","),
        ("insert", ";"),
        ("equal", " docks"),
    ]
    diff = word_diff("One. Two.", "One.\nTwo.")
    assert [op.kind for op in diff.ops] == ["equal", "delete", "insert", "equal"]
    assert (diff.words_added, diff.words_removed) == (0, 0)


def test_words_are_counted_as_the_project_counts_them() -> None:
    # One Han character is one word; a hyphen ends a word.
    diff = word_diff("中国 prison-like", "中美国 prison")
    assert ops("中国", "中美国") == [("equal", "中"), ("insert", "美"), ("equal", "国")]
    assert (diff.words_added, diff.words_removed) == (1, 1)


def test_a_repeated_paragraph_does_not_misalign_the_rest() -> None:
    """Matched as a whole, the first "Advertisement" would pair with the one left in the new text,
    and the two corrected paragraphs between them would show as removed and added entire."""
    old = (
        "Strike day one.\nAdvertisement\nDockers strike at the harbour.\nTalks fail.\n"
        "Advertisement\nMore soon."
    )
    new = "Strike day two.\nDockers strike at the docks.\nTalks resume.\nAdvertisement\nMore later."
    diff = word_diff(old, new)
    assert (diff.words_added, diff.words_removed) == (4, 5)
    assert render_plain(diff).splitlines()[2:4] == [
        "Dockers strike at the [-harbour-]{+docks+}.",
        "Talks [-fail-]{+resume+}.",
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (TEXT, "A different text altogether, with the harbour in it."),
        ("  leading and trailing space  ", "leading, and trailing\n\nspace"),
        ("a a a b a a", "a b a a a"),
        ("x", "y"),
        ("…—“quoted”", '"quoted" - again'),
    ],
)
def test_the_ops_rebuild_both_texts(old: str, new: str) -> None:
    diff = word_diff(old, new)
    assert "".join(op.text for op in diff.ops if op.kind != "insert") == old
    assert "".join(op.text for op in diff.ops if op.kind != "delete") == new
    assert all(op.text for op in diff.ops)
    assert all(a.kind != b.kind for a, b in zip(diff.ops, diff.ops[1:], strict=False))


def test_renderings() -> None:
    diff = word_diff(
        "The port is closed.\nShips wait.", "The port is open.\nShips wait.\nTalks go on."
    )
    assert render_plain(diff) == "The port is [-closed-]{+open+}.\nShips wait.{+\nTalks go on.+}"
    assert render_ansi(diff) == (
        f"The port is {RED_STRUCK}closed{RESET}{GREEN}open{RESET}.\nShips wait."
        f"\n{GREEN}Talks go on.{RESET}"
    )  # colour stops at a line end, so a pager starting mid-change still colours it
    assert as_json(diff) == {
        "words_added": 4,
        "words_removed": 1,
        "ops": [
            {"op": "equal", "text": "The port is "},
            {"op": "delete", "text": "closed"},
            {"op": "insert", "text": "open"},
            {"op": "equal", "text": ".\nShips wait."},
            {"op": "insert", "text": "\nTalks go on."},
        ],
    }


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "no_color", "coloured"),
    [
        (Terminal(), None, True),
        (Terminal(), "", True),  # NO_COLOR counts only when set to something
        (Terminal(), "1", False),
        (io.StringIO(), None, False),
    ],
)
def test_colour_only_for_a_terminal_without_no_color(
    stream: io.StringIO, no_color: str | None, coloured: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    diff = word_diff("closed", "open")
    assert render(diff, stream) == (render_ansi(diff) if coloured else "[-closed-]{+open+}")


def test_a_long_article_is_quick() -> None:
    """10,000 words with changes all through it (a diff that matched every space with every other
    one took minutes; this takes about 0.3 s)."""
    rng = random.Random(7)
    vocabulary = [f"word{i}" for i in range(2000)]
    weights = [1 / (i + 1) for i in range(2000)]  # a few very common words, as in prose
    paragraphs = [" ".join(rng.choices(vocabulary, weights, k=50)) + "." for _ in range(200)]
    changed = [p.replace(" ", " new ", 1) if i % 4 == 0 else p for i, p in enumerate(paragraphs)]
    started = time.perf_counter()
    diff = word_diff("\n".join(paragraphs), "\n".join(changed))
    assert time.perf_counter() - started < 3
    assert (diff.words_added, diff.words_removed) == (50, 0)


def test_in_context_keeps_the_words_next_to_each_change() -> None:
    old = " ".join(f"w{i}" for i in range(100))
    new = old.replace("w10 ", "X ").replace("w90 ", "Y ")
    shown = in_context(word_diff(old, new), words=3)
    kinds = [type(op).__name__ if isinstance(op, Gap) else op.kind for op in shown]
    assert kinds == [
        "Gap", "equal", "delete", "insert", "equal", "Gap", "equal", "delete", "insert",
        "equal", "Gap",
    ]  # fmt: skip
    texts = [op.text if isinstance(op, Op) else op.words for op in shown]
    assert texts[0] == 7 and texts[1] == "w7 w8 w9 "
    assert texts[4] == " w11 w12 w13" and texts[5] == 73 and texts[6] == "w87 w88 w89 "
    assert texts[-2] == " w91 w92 w93" and texts[-1] == 6


def test_in_context_leaves_short_stretches_whole() -> None:
    diff = word_diff("a b c d e", "a b X d e")
    assert in_context(diff, words=2) == diff.ops


def test_a_version_diff_counts_title_and_text() -> None:
    changes = version_diff("Old headline", "same text here", "New headline", "same text there")
    assert changes.title.changed and changes.text.changed
    assert (changes.words_added, changes.words_removed) == (2, 2)
    assert not version_diff(None, "a", "", "a").changed
