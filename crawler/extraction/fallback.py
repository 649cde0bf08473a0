"""When precision mode's text is short, whether the balanced extraction's text is a better one.

Precision mode sometimes keeps too little of a page (a body split by widgets, a short piece);
`extract()` then tries trafilatura's balanced mode. But on a short page the balanced pass often
falls back to the whole page: its navigation, footer, "related posts" and ads, or the page's text
run together on one line. More words are then not more of the article. The balanced text is
taken over a precision text that is already long enough to store only when it *widens* it:

- it holds the precision text's paragraphs as its own lines (`KEPT_SHARE` of their
  characters), and
- what it adds is, for the most part (`PROSE_SHARE` of the added words), prose: lines of at
  least `PROSE_WORDS` words that end like a sentence, not labels, menus or credits.
"""

from __future__ import annotations

from crawler.extraction.structured import key

KEPT_SHARE = 0.8
"""Share of the precision text's characters (as paragraphs) the balanced text must hold."""
PROSE_SHARE = 0.5
"""Share of the added words that must be in prose lines."""
PROSE_WORDS = 8
"""A shorter line is a label, a menu entry or a credit, not a paragraph of a story."""

_SENTENCE_END = (".", "!", "?", "…", ":", "\u3002", "\uff01", "\uff1f", '"', "”", "»", "“", ")")


def widens(precise: str, balanced: str) -> bool:
    """Whether `balanced` is `precise` with paragraphs of prose added (see the module)."""
    wide_lines = [line.strip() for line in balanced.split("\n")]
    wide_keys = {key(line) for line in wide_lines}
    kept = [k for k in (key(line) for line in precise.split("\n")) if k]
    total = sum(len(k) for k in kept)
    # as lines: both passes write a paragraph as one line, and a balanced pass that fell back
    # to the whole page runs it together (its lines then hold the paragraphs, but are not them)
    held = sum(len(k) for k in kept if k in wide_keys)
    if not total or held < KEPT_SHARE * total:
        return False
    precise_keys = set(kept)
    added = prose = 0
    for line in wide_lines:
        line_key = key(line)
        if not line_key or line_key in precise_keys:
            continue
        words = len(line_key.split())
        added += words
        if words >= PROSE_WORDS and line.endswith(_SENTENCE_END):
            prose += words
    return added > 0 and prose >= PROSE_SHARE * added
