"""A word diff as HTML for the browser: removed words struck through in red, added ones in green,
and long unchanged stretches cut to the words around the changes, so a change is seen at once
instead of below the fold of a whole article."""

from __future__ import annotations

import html

from crawler.core.normalise import WORD
from crawler.versions.diff import WordDiff

CONTEXT_WORDS = 25
"""Unchanged words shown before and after each change."""


def diff_html(diff: WordDiff, context: int | None = CONTEXT_WORDS) -> str:
    """The diff as HTML (`<del>`, `<ins>`, `…` for cut stretches); `context` None shows every
    unchanged word."""
    if not diff.changed:
        return '<span class="unchanged">(unchanged)</span>'
    parts: list[str] = []
    last = len(diff.ops) - 1
    for i, op in enumerate(diff.ops):
        if op.kind == "delete":
            parts.append(f"<del>{_text(op.text)}</del>")
        elif op.kind == "insert":
            parts.append(f"<ins>{_text(op.text)}</ins>")
        elif context is None:
            parts.append(_text(op.text))
        else:
            parts.append(_cut(op.text, context, keep_head=i > 0, keep_tail=i < last))
    return "".join(parts)


def _cut(text: str, context: int, *, keep_head: bool, keep_tail: bool) -> str:
    """An unchanged stretch with only `context` words kept after the change before it (head)
    and before the change after it (tail)."""
    words = list(WORD.finditer(text))
    if len(words) <= 2 * context + 5:
        return _text(text)
    head_end = words[context - 1].end() if keep_head else 0
    tail_start = words[-context].start() if keep_tail else len(text)
    return _text(text[:head_end]) + ' <span class="cut">…</span> ' + _text(text[tail_start:])


def _text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")
