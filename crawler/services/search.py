"""Search's `--added` and `--removed`: the edits (one version to the next) that added or removed
a passage matching a query, and when.

Each version is compared with the one before it in the article's history (first seen, then
number, as `newsarchive history` lists them). An edit *added* a match when the new version
matches and the old one did not, or when a match of the new version lies in text the edit
inserted; it *removed* one when the old version matched and the new one does not, or when a
match of the old version lies in text the edit deleted (crawler/versions/passages.py). The edit
happened between the old version's `last_seen` and the new one's `first_seen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import groupby, pairwise
from typing import Literal

from sqlalchemy import Engine

from crawler.core.search import Node
from crawler.versions.passages import Marked, changed_matches, context, unmark
from storage.db.queries import ArticleFilter
from storage.db.search import (
    EVERYTHING,
    MARK_END,
    MARK_START,
    VersionStep,
    VersionText,
    article_of,
    matching_steps,
    version_texts,
)

ChangeKind = Literal["added", "removed"]


@dataclass(frozen=True, slots=True)
class Change:
    """One edit that added or removed a match."""

    kind: ChangeKind
    url: str
    publisher: str | None
    title: str
    """The title of the version after the edit."""
    version: int
    """The version the edit made."""
    previous: int
    """The version before it."""
    first_seen: datetime
    """When the version after the edit was first captured: the edit was made before this."""
    previous_last_seen: datetime
    """When the version before it was last captured: the edit was made after this."""
    passages: tuple[str, ...]
    """The added (or removed) matches in context, marked with `MARK_START`/`MARK_END`; empty
    when the edit changed whether the whole version matches without a marked word changing
    (a NOT term appeared, say)."""


def changes(
    engine: Engine, query: Node, kind: ChangeKind, filters: ArticleFilter = EVERYTHING
) -> list[Change]:
    """The edits of `kind` for `query`, oldest first. `filters.since`/`until` bound the day the
    edit was first seen (the new version's `first_seen`, UTC); story and publisher as in
    `search`."""
    steps, matched = matching_steps(engine, query, filters)
    pairs = [
        (old, new)
        for _, history in groupby(steps, key=lambda s: s.url_id)
        for old, new in pairwise(history)
        if (old.version_id in matched or new.version_id in matched) and _within(new, filters)
    ]
    wanted = {s.version_id for pair in pairs for s in pair}
    texts = version_texts(engine, query, wanted, matched)
    articles = article_of(engine, {new.url_id for _, new in pairs})
    found: list[Change] = []
    for old, new in pairs:
        passages = _edit(texts[old.version_id], texts[new.version_id], kind)
        if passages is None:
            continue
        url, publisher = articles[new.url_id]
        found.append(
            Change(
                kind=kind,
                url=url,
                publisher=publisher,
                title=unmark(texts[new.version_id].title, MARK_START, MARK_END).text,
                version=new.number,
                previous=old.number,
                first_seen=new.first_seen,
                previous_last_seen=old.last_seen,
                passages=tuple(passages),
            )
        )
    return sorted(found, key=lambda c: (c.first_seen, c.url, c.version))


def _edit(old: VersionText, new: VersionText, kind: ChangeKind) -> list[str] | None:
    """The passages the edit from `old` to `new` added (or removed), or None when it did not."""
    passages: list[str] = []
    for field in ("title", "text"):
        before = unmark(getattr(old, field), MARK_START, MARK_END)
        after = unmark(getattr(new, field), MARK_START, MARK_END)
        deleted, inserted = changed_matches(before, after)
        side, spans = (after, inserted) if kind == "added" else (before, deleted)
        passages += _passages(side, spans)
    whole = (
        (new.matched and not old.matched) if kind == "added" else (old.matched and not new.matched)
    )
    return passages if passages or whole else None


def _passages(text: Marked, spans: list[tuple[int, int]]) -> list[str]:
    """One passage per changed match, a match already inside an earlier passage's context left
    out."""
    shown: list[str] = []
    for span in spans:
        passage = context(text, span, MARK_START, MARK_END)
        if not shown or passage != shown[-1]:
            shown.append(passage)
    return shown


def _within(step: VersionStep, filters: ArticleFilter) -> bool:
    if filters.since is not None and step.first_seen < datetime.combine(filters.since, time(), UTC):
        return False
    end = filters.until
    return end is None or step.first_seen < datetime.combine(end + timedelta(days=1), time(), UTC)
