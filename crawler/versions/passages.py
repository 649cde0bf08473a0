"""Which matches of a search an edit added or removed: matches located in two versions of a text
(between marks, as the database's highlighting gives them) set against the word diff.

A match in the new text that lies in what the edit inserted was added by it; a match in the old
text that lies in what it deleted was removed. A match in text both versions share is neither:
an edit elsewhere in the article does not count, nor does a rewording around a name that stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.versions.diff import word_diff

Span = tuple[int, int]
"""[start, end) character offsets of a match."""

CONTEXT = 70
"""Characters of context shown on each side of a changed match."""


@dataclass(frozen=True, slots=True)
class Marked:
    """A text with its matches: the text without marks, and where the marks were."""

    text: str
    spans: tuple[Span, ...]


def unmark(marked: str, start: str, end: str) -> Marked:
    """`marked` without the `start` and `end` marks, and the spans they enclosed."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    opened: int | None = None
    position = 0
    while position < len(marked):
        next_mark = min(
            (i for i in (marked.find(start, position), marked.find(end, position)) if i >= 0),
            default=len(marked),
        )
        parts.append(marked[position:next_mark])
        length += next_mark - position
        if next_mark == len(marked):
            break
        if marked.startswith(start, next_mark):
            opened = length
            position = next_mark + len(start)
        else:
            if opened is not None and length > opened:
                spans.append((opened, length))
            opened = None
            position = next_mark + len(end)
    return Marked("".join(parts), tuple(spans))


def changed_matches(old: Marked, new: Marked) -> tuple[list[Span], list[Span]]:
    """(matches of `old` the edit deleted, matches of `new` it inserted)."""
    deleted: list[Span] = []
    inserted: list[Span] = []
    old_at = new_at = 0
    for op in word_diff(old.text, new.text).ops:
        size = len(op.text)
        if op.kind == "delete":
            deleted.append((old_at, old_at + size))
            old_at += size
        elif op.kind == "insert":
            inserted.append((new_at, new_at + size))
            new_at += size
        else:
            old_at += size
            new_at += size
    return _overlapping(old.spans, deleted), _overlapping(new.spans, inserted)


def context(text: Marked, span: Span, start: str, end: str, width: int = CONTEXT) -> str:
    """The passage around `span`: about `width` characters each side, cut at spaces, on one
    line, with every match in it between `start` and `end`."""
    left = max(0, span[0] - width)
    right = min(len(text.text), span[1] + width)
    if left > 0:
        space = text.text.find(" ", left, span[0])
        left = space + 1 if space >= 0 else left
    if right < len(text.text):
        space = text.text.rfind(" ", span[1], right)
        right = space if space >= 0 else right
    pieces: list[str] = []
    at = left
    for s, e in text.spans:
        if e <= left or s >= right:
            continue
        s, e = max(s, left), min(e, right)
        pieces += [text.text[at:s], start, text.text[s:e], end]
        at = e
    pieces.append(text.text[at:right])
    passage = " ".join("".join(pieces).split())
    return ("…" if left > 0 else "") + passage + ("…" if right < len(text.text) else "")


def _overlapping(spans: tuple[Span, ...], changed: list[Span]) -> list[Span]:
    return [s for s in spans if any(s[0] < e and c < s[1] for c, e in changed)]
