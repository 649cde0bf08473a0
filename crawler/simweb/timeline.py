"""Rounds: the simulated web over time, so recrawls meet new versions, revisits and deletions.

Round 0 is the web as planned. Each later round applies the fixed `SCENARIO` up to it; rounds
after `LAST_ROUND` change nothing more. The scenario is the same for every seed: it names
articles by `Text.key`, and seed and filler keys do not depend on the seed.

A page changes only when its own article changes. Related-story boxes keep the links an article
was published with, so a deleted article may still be linked from other articles; home, section
and archive pages, feeds and sitemaps follow the current round.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from crawler.simweb.content import Text
from crawler.simweb.plan import Placed
from crawler.simweb.walls import Wall

ROUND_ONE = datetime(2025, 3, 24, 9, 0, tzinfo=UTC)
"""When round 1's edits were made; each later round is a day after the one before."""
LAST_ROUND = 2
"""The last round that changes anything."""

StepKind = Literal[
    "correction", "appended", "headline", "timestamp", "deleted", "rewrite", "wall", "open"
]


@dataclass(frozen=True, slots=True)
class Step:
    """One change to one article, from `round` on."""

    round: int
    key: str
    """`Text.key` of the article."""
    kind: StepKind
    old: str = ""
    """correction: the words replaced (in exactly one paragraph)."""
    new: str = ""
    """correction: the words put in their place; appended: the paragraph; headline: the
    headline."""
    status: int = 404
    """deleted: what the article's URL answers."""
    listed: bool = False
    """deleted: whether its feed or sitemaps still list it."""
    text: Text | None = None
    """rewrite: the article's whole new text (the opt-in edits of edits.py and wallplan.py)."""
    wall: Wall | None = None
    """wall: what the article is served behind from `round` on, until an 'open' step."""


SCENARIO = (
    # The Ledgerline (ETag and Last-Modified): a correction, then a new headline.
    Step(
        1,
        "seed-000",
        "correction",
        old="according to local media",
        new="according to El Salvador's justice ministry",
    ),
    Step(
        2, "seed-000", "headline", new="Bukele offers to jail US prisoners in El Salvador for a fee"
    ),
    # Harbor Courier (ETag and Last-Modified): re-saved unchanged; only "Published …" becomes
    # "Published … · Updated …", the line under the headline an extractor keeps.
    Step(1, "seed-001", "timestamp"),
    # Wirefront Daily (no validators): an update appended to its copy of the wire story.
    Step(
        1,
        "seed-002",
        "appended",
        new="Update: El Salvador's foreign ministry said on Tuesday that no agreement had yet "
        "been signed and that talks with Washington on the details of any transfers would "
        "continue.",
    ),
    # Two off-topic fillers deleted: Wirefront's 404 and stays in its sitemaps (regenerated
    # lazily); Justice Dispatch's 410 and leaves its sitemap.
    Step(1, "wirefront-0", "deleted", status=404, listed=True),
    Step(1, "justice-dispatch-0", "deleted", status=410),
)
"""The changes, by round; everything else stays byte-identical across rounds."""


def round_time(n: int) -> datetime:
    """When round `n`'s edits were made."""
    return ROUND_ONE + timedelta(days=n - 1)


def last_round(scenario: Sequence[Step]) -> int:
    """The last round that changes anything under `scenario` (LAST_ROUND at least)."""
    return max([LAST_ROUND, *(step.round for step in scenario)])


def at_round(
    articles: Sequence[Placed], n: int, scenario: Sequence[Step] = SCENARIO
) -> list[Placed]:
    """`articles` as round `n` serves them, in the same order."""
    steps: dict[str, list[Step]] = {}
    for step in scenario:
        if step.round <= n:
            steps.setdefault(step.key, []).append(step)
    out = []
    for placed in articles:
        for step in steps.get(placed.text.key, ()):
            placed = _apply(step, placed)
        out.append(placed)
    return out


def _apply(step: Step, placed: Placed) -> Placed:
    text = placed.text
    if step.kind == "deleted":
        return dataclasses.replace(placed, gone=step.status, listed=placed.listed and step.listed)
    if step.kind in ("wall", "open"):  # what is served in its place, not the article
        return dataclasses.replace(placed, wall=step.wall if step.kind == "wall" else None)
    if step.kind == "rewrite":
        assert step.text is not None and step.text.key == text.key
        text = step.text
    elif step.kind == "correction":
        [index] = [i for i, p in enumerate(text.paragraphs) if step.old in p]
        paragraphs = list(text.paragraphs)
        paragraphs[index] = paragraphs[index].replace(step.old, step.new)
        text = dataclasses.replace(text, paragraphs=tuple(paragraphs))
    elif step.kind == "appended":
        text = dataclasses.replace(text, paragraphs=(*text.paragraphs, step.new))
    elif step.kind == "headline":
        text = dataclasses.replace(text, headline=step.new)
    return dataclasses.replace(placed, text=text, modified=round_time(step.round))


@dataclass(frozen=True, slots=True)
class Version:
    """One distinct title and text of an article: what a perfect extractor returns."""

    round: int
    """The first round that serves it."""
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Deletion:
    round: int
    status: int
    """404 or 410, from `round` on."""
    listed: bool
    """Still in its publisher's feed or sitemaps."""


@dataclass(frozen=True, slots=True)
class History:
    """One article (by canonical URL) over the rounds."""

    url: str
    versions: tuple[Version, ...]
    """Every distinct title and text, in order; the first is round 0's."""
    restamped: tuple[int, ...] = ()
    """Rounds whose only change is a visible timestamp line: new bytes, same text."""
    deleted: Deletion | None = None
    walled: tuple[int, ...] = ()
    """Rounds that serve a wall in its place (see walls.py): no version, whatever they serve."""

    @property
    def text_changes(self) -> tuple[int, ...]:
        """Rounds that change the title or the text."""
        return tuple(v.round for v in self.versions[1:])

    def changed(self, n: int) -> bool:
        """Whether round `n` answers for it differently from round `n - 1`."""
        deleted_in = self.deleted.round if self.deleted else None
        walls = (n in self.walled) != (n - 1 in self.walled)
        return n > 0 and (n in self.text_changes or n in self.restamped or n == deleted_in or walls)

    def version(self, n: int) -> Version | None:
        """What round `n` serves; None once deleted, while walled, and before it is first seen
        open."""
        if (self.deleted is not None and n >= self.deleted.round) or n in self.walled:
            return None
        served = [v for v in self.versions if v.round <= n]
        return served[-1] if served else None

    def versions_by(self, n: int) -> int:
        """Distinct versions served in rounds 0 to `n`: what an archive of every round keeps."""
        return sum(v.round <= n for v in self.versions)

    def modified(self, n: int) -> datetime | None:
        """When its page last changed by round `n` (its Last-Modified, where sent); None while
        it is as first published."""
        edits = [r for r in (*self.text_changes, *self.restamped) if r <= n]
        return round_time(max(edits)) if edits else None


def history(url: str, rounds: Sequence[Placed]) -> History:
    """The history of the article `url`, from its state in rounds 0 to the last round. A wall
    is no version: the next open round is compared with the last one open before it."""
    versions: list[Version] = []
    restamped: list[int] = []
    walled: list[int] = []
    deleted = None
    for n, now in enumerate(rounds):
        if now.gone is not None:
            deleted = Deletion(n, now.gone, now.listed)
            break
        if now.wall is not None:
            walled.append(n)
            continue
        seen = (now.text.headline, now.text.paragraphs)
        if not versions or seen != (versions[-1].title, versions[-1].paragraphs):
            versions.append(Version(n, *seen))
        elif now.modified != rounds[n - 1].modified:
            restamped.append(n)
    return History(url, tuple(versions), tuple(restamped), deleted, tuple(walled))


@dataclass(frozen=True)
class Timeline:
    """What every round serves, article by article (see `SCENARIO`)."""

    histories: Mapping[str, History]
    """By canonical URL, for every article."""
    last_round: int = LAST_ROUND
    """The last round that changes anything (later with the opt-in walls: see wallplan.py)."""

    def history(self, url: str) -> History:
        return self.histories[url]

    def changed(self, n: int) -> list[str]:
        """Article URLs that round `n` answers for differently from round `n - 1`."""
        return [url for url, h in self.histories.items() if h.changed(n)]
