"""Word-level differences between two texts, for people reading how an article changed.

The words of the two texts (`normalise.WORD`, what the rest of the project counts as a word)
are matched with `difflib.SequenceMatcher`; the spaces and punctuation between words go along with
the words they separate. So a changed word is one replacement however long its paragraph, a
changed comma is just the comma, and a paragraph break is a separator like any other: paragraphs
stay as they were.

Only words are matched, not separators, for speed and for sense: a 10,000-word text has 10,000
spaces, and matching each against every other one made the diff take minutes, while matched lone
spaces would cut "local media" → "the justice ministry" into single-word replacements.

The texts are compared as stored: spacing and quotes that did not make a new version by
themselves (see `crawler.core.normalise`) still show when they changed along with words.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal, TextIO

from crawler.core.normalise import WORD, count_words

OpKind = Literal["equal", "insert", "delete"]

RED_STRUCK = "\x1b[31;9m"
GREEN = "\x1b[32m"
RESET = "\x1b[0m"


@dataclass(frozen=True, slots=True)
class Op:
    """A stretch of text that both versions have (`equal`), or only the new (`insert`) or the old
    one (`delete`)."""

    kind: OpKind
    text: str


@dataclass(frozen=True, slots=True)
class WordDiff:
    ops: tuple[Op, ...]
    """In reading order; a replacement is a `delete` followed by an `insert`."""
    words_added: int
    words_removed: int

    @property
    def changed(self) -> bool:
        return any(op.kind != "equal" for op in self.ops)


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """How one article version differs from another: its title and its text, each word by word.
    A headline rewrite counts like any other change."""

    title: WordDiff
    text: WordDiff

    @property
    def words_added(self) -> int:
        return self.title.words_added + self.text.words_added

    @property
    def words_removed(self) -> int:
        return self.title.words_removed + self.text.words_removed

    @property
    def changed(self) -> bool:
        return self.title.changed or self.text.changed


def version_diff(
    old_title: str | None, old_text: str, new_title: str | None, new_text: str
) -> VersionDiff:
    """How the version (`new_title`, `new_text`) differs from (`old_title`, `old_text`)."""
    return VersionDiff(word_diff(old_title or "", new_title or ""), word_diff(old_text, new_text))


@dataclass(frozen=True, slots=True)
class Gap:
    """Unchanged text left out of a diff shown in context."""

    words: int


def in_context(diff: WordDiff, words: int = 20) -> tuple[Op | Gap, ...]:
    """The diff with each unchanged stretch cut to the `words` words next to a change (before
    the first change and after the last, only those): what changed, with enough around it to
    read, however long the article."""
    ops = diff.ops
    shown: list[Op | Gap] = []
    for index, op in enumerate(ops):
        if op.kind != "equal":
            shown.append(op)
            continue
        keep_head = index > 0  # words after a change
        keep_tail = index < len(ops) - 1  # words before a change
        spans = [m.span() for m in WORD.finditer(op.text)]
        kept = words * (keep_head + keep_tail)
        if len(spans) <= kept + words // 2:  # leaving out a few words helps nobody
            shown.append(op)
            continue
        head = op.text[: spans[words - 1][1]] if keep_head and words else ""
        tail = op.text[spans[-words][0] :] if keep_tail and words else ""
        if head:
            shown.append(Op("equal", head))
        shown.append(Gap(len(spans) - kept))
        if tail:
            shown.append(Op("equal", tail))
    return tuple(shown)


def split_words(text: str) -> tuple[list[str], list[str]]:
    """The words of `text`, and the separators around them: `separators[i]` comes before
    `words[i]`, the last one after the last word (each may be empty)."""
    words, separators = [], []
    end = 0
    for match in WORD.finditer(text):
        separators.append(text[end : match.start()])
        words.append(match.group())
        end = match.end()
    separators.append(text[end:])
    return words, separators


def word_diff(old: str, new: str) -> WordDiff:
    """How `new` differs from `old`, word by word."""
    old_words, old_seps = split_words(old)
    new_words, new_seps = split_words(new)
    ops = _Ops()
    # What is not yet written out, as words and single separator characters: a changed stretch,
    # then the separator before the next matched word. Single characters, so that a comma changed
    # to a semicolon shows as just that.
    old_run: list[str] = []
    new_run: list[str] = []
    for tag, i1, i2, j1, j2 in _word_opcodes(old_words, old_seps, new_words, new_seps):
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                old_run += old_seps[i]
                new_run += new_seps[j]
                _flush(ops, old_run, new_run)
                ops.add("equal", old_words[i])
        else:
            for i in range(i1, i2):
                old_run += [*old_seps[i], old_words[i]]
            for j in range(j1, j2):
                new_run += [*new_seps[j], new_words[j]]
    old_run += old_seps[-1]
    new_run += new_seps[-1]
    _flush(ops, old_run, new_run)
    done = ops.done()
    added = sum(count_words(op.text) for op in done if op.kind == "insert")
    removed = sum(count_words(op.text) for op in done if op.kind == "delete")
    return WordDiff(done, added, removed)


def _word_opcodes(
    old: list[str], old_seps: list[str], new: list[str], new_seps: list[str]
) -> Iterator[tuple[str, int, int, int, int]]:
    """`SequenceMatcher` opcodes over the two word lists, found in three steps for speed.

    The words both texts start and end with are set aside, then paragraphs are matched by their
    words, and only the words of paragraphs that differ are matched one by one. Word matching
    scans every place a word occurs again for each part it recurses into, so "the" over a whole
    10,000-word article, with changes all through it, took seconds; within a few paragraphs it is
    nothing. Only a paragraph found once in each text can match as a whole: a repeated one
    ("Advertisement") matched far from its place would misalign everything after it, so it is
    left to the word matching.
    """
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    yield ("equal", 0, head, 0, head)
    old_bounds = _paragraphs(old_seps, head, len(old) - tail)
    new_bounds = _paragraphs(new_seps, head, len(new) - tail)
    old_keys = [tuple(old[i:j]) for i, j in pairwise(old_bounds)]
    new_keys = [tuple(new[i:j]) for i, j in pairwise(new_bounds)]
    paragraphs = difflib.SequenceMatcher(
        None, _unique(old_keys, new_keys), _unique(new_keys, old_keys), autojunk=False
    )
    for tag, p1, p2, q1, q2 in paragraphs.get_opcodes():
        i1, i2, j1, j2 = old_bounds[p1], old_bounds[p2], new_bounds[q1], new_bounds[q2]
        if tag == "equal":
            yield (tag, i1, i2, j1, j2)
            continue
        words = difflib.SequenceMatcher(None, old[i1:i2], new[j1:j2], autojunk=False)
        for word_tag, a1, a2, b1, b2 in words.get_opcodes():
            yield (word_tag, i1 + a1, i1 + a2, j1 + b1, j1 + b2)
    yield ("equal", len(old) - tail, len(old), len(new) - tail, len(new))


def _unique(keys: list[tuple[str, ...]], other: list[tuple[str, ...]]) -> list[object]:
    """`keys`, each one found more than once in either list replaced by something equal to
    nothing."""
    here, there = Counter(keys), Counter(other)
    return [key if here[key] == 1 and there[key] <= 1 else object() for key in keys]


def _paragraphs(separators: list[str], start: int, end: int) -> list[int]:
    """Where the paragraphs among words `start`..`end` begin, and `end`: a word after a line
    break begins one."""
    return [i for i in range(start, end) if i == start or "\n" in separators[i]] + [end]


def _flush(ops: _Ops, old: list[str], new: list[str]) -> None:
    """Write out a changed stretch: the tokens both sides start and end with as equal, the rest
    as a deletion and an insertion. Empties both lists."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    ops.add("equal", "".join(old[:start]))
    ops.add("delete", "".join(old[start : len(old) - end]))
    ops.add("insert", "".join(new[start : len(new) - end]))
    ops.add("equal", "".join(old[len(old) - end :]))
    old.clear()
    new.clear()


class _Ops:
    """Ops being collected: text added to an op of the same kind as the last one extends it."""

    def __init__(self) -> None:
        self.kinds: list[OpKind] = []
        self.texts: list[list[str]] = []

    def add(self, kind: OpKind, text: str) -> None:
        if not text:
            return
        if self.kinds and self.kinds[-1] == kind:
            self.texts[-1].append(text)
        else:
            self.kinds.append(kind)
            self.texts.append([text])

    def done(self) -> tuple[Op, ...]:
        return tuple(Op(k, "".join(t)) for k, t in zip(self.kinds, self.texts, strict=True))


def render_plain(diff: WordDiff) -> str:
    """The diff as `git diff --word-diff=plain` writes it: `[-removed-]{+added+}`."""
    marks = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}
    return "".join(f"{marks[op.kind][0]}{op.text}{marks[op.kind][1]}" for op in diff.ops)


def render_ansi(diff: WordDiff) -> str:
    """The diff for a terminal: removed text red and struck through, added text green.

    Colour is switched off at each line end and on again after it, so that a pager (`less -R`)
    showing the text from the middle of a changed paragraph still colours it right.
    """
    colours = {"delete": RED_STRUCK, "insert": GREEN}
    return "".join(
        op.text if op.kind == "equal" else _coloured(op.text, colours[op.kind]) for op in diff.ops
    )


def _coloured(text: str, colour: str) -> str:
    return "\n".join(f"{colour}{line}{RESET}" if line else "" for line in text.split("\n"))


def as_json(diff: WordDiff) -> dict[str, Any]:
    """The diff as a JSON-ready object: `{"words_added", "words_removed", "ops": [{"op",
    "text"}]}`."""
    return {
        "words_added": diff.words_added,
        "words_removed": diff.words_removed,
        "ops": [{"op": op.kind, "text": op.text} for op in diff.ops],
    }


def use_colour(stream: TextIO) -> bool:
    """Colour for a terminal, unless NO_COLOR is set to anything (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


def render(diff: WordDiff, stream: TextIO) -> str:
    """The diff in colour if `stream` is a terminal that wants colour, else in plain text."""
    return render_ansi(diff) if use_colour(stream) else render_plain(diff)
