"""Access against what was seen before: a suspected wall is one when the text it left is cut.

The page alone cannot tell a paywall's teaser from a short article: both are a few paragraphs
beside a subscribe box (crawler/extraction/access.py marks such a page `suspect`). What can is
an earlier text of the same article:

- the **last open version**: a suspected page whose text has less than `truncated_below` (a
  `[versions]` threshold, default one half) of that version's words is the wall, not an edit;
- the **feed's description** (RSS `description`, Atom `summary`): a suspected
  page whose text is shorter than the description (the feed carried more of the article than
  the page shows), or is a short text (under `TEASER_WORDS`) little longer than the description
  (`TEASER_FACTOR` times its words at most), shows only the teaser.

A page nothing suggests is a wall is never judged one here, however much shorter it is: an
article cut by its editors is a removal, an edit to record.
"""

from __future__ import annotations

from crawler.core.access import AccessCheck, Evidence
from crawler.core.normalise import count_words
from crawler.core.versioning import VersionRules

TEASER_WORDS = 150
"""A text this long or longer is never judged a teaser against a description alone."""
TEASER_FACTOR = 3
"""A short text at most this many times as long as the feed's description is a teaser."""


def judge_access(
    check: AccessCheck,
    text: str | None,
    *,
    previous: str | None = None,
    description: str | None = None,
    rules: VersionRules | None = None,
) -> AccessCheck:
    """`check` (the page's own judgement) settled against the last open version's text
    (`previous`) and the feed's `description` of the article, either of which may be unknown.
    `text` is the capture's extracted text (None when it gave no article)."""
    if check.walled or check.suspect is None:
        return check
    rules = rules or VersionRules()
    words = count_words(text or "")
    if previous:
        before = count_words(previous)
        if before and words < rules.truncated_below * before:
            cut = Evidence("truncated-vs-previous", f"{words} of {before} words")
            return AccessCheck(check.suspect, (*check.evidence, cut))
    if description:
        summary = count_words(description)
        if summary and (
            words < summary or (words < TEASER_WORDS and words <= TEASER_FACTOR * summary)
        ):
            cut = Evidence("truncated-vs-feed", f"{words} words, the feed's description {summary}")
            return AccessCheck(check.suspect, (*check.evidence, cut))
    return check
