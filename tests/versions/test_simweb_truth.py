"""The pure parts of issue 16 held to the simulated web's own truth, page by page as it serves
them: every wall gets its access (from the page alone, or against the last open version), every
open capture of a walled article stays open, every rewrite its kinds and stealth, every rights
signal its verdict. The simulated web was written apart from these detectors (crawler/simweb,
docs/simweb.md): its walls, edits and signals are the markup and wording it chose."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crawler.core.access import AccessCheck
from crawler.core.article import Extraction
from crawler.core.page import PageInput
from crawler.core.rights import page_rights
from crawler.core.versioning import Version
from crawler.extraction.access import check_access
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.simweb import SimWeb
from crawler.versions.access import judge_access
from crawler.versions.kinds import classify_edit
from crawler.versions.notices import notice_kind
from tests.simweb.helpers import fetch

FETCHED_AT = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def web() -> Iterator[SimWeb]:
    with SimWeb(walls=True, edits=True, rights=True) as running:
        yield running


def capture(web: SimWeb, url: str, round_: int) -> tuple[PageInput, Extraction]:
    """The page at `url` as round `round_` serves it, and its extraction."""
    web.set_round(round_)
    response = fetch(url, Accept_Encoding="gzip")
    body = response.body
    if response.header("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    page = PageInput(url, url, response.status, tuple(response.headers), body, FETCHED_AT)
    return page, extract(page, ExtractOptions())


def judged(web: SimWeb, url: str, round_: int, previous: str | None) -> AccessCheck:
    """The capture's access, against the last open version's text and its feed description."""
    page, extraction = capture(web, url, round_)
    walls = web.truth.walls
    assert walls is not None
    text = extraction.article.text if extraction.article else None
    described = walls.article(url)
    description = described.description if described and described.feed else None
    return judge_access(
        check_access(page, extraction), text, previous=previous, description=description
    )


def last_open_text(web: SimWeb, url: str, round_: int) -> str | None:
    history = web.truth.timeline.history(url)
    open_rounds = [r for r in range(round_) if r not in history.walled]
    if not open_rounds:
        return None
    _, extraction = capture(web, url, open_rounds[-1])
    return extraction.article.text if extraction.article else None


def test_every_wall_is_told_and_of_the_right_kind(web: SimWeb) -> None:
    walls = web.truth.walls
    assert walls is not None and len(walls.served) == 12
    for wall in walls.served:
        check = judged(web, wall.url, wall.round, last_open_text(web, wall.url, wall.round))
        assert check.access == wall.kind, (wall, check.reason)


def test_first_crawl_walls_need_no_earlier_text(web: SimWeb) -> None:
    walls = web.truth.walls
    assert walls is not None
    first = [w for w in walls.served if not w.seen_open]
    assert {w.kind for w in first} == {"consent", "challenge"}
    for wall in first:
        page, extraction = capture(web, wall.url, wall.round)
        assert extraction.article is None
        assert check_access(page, extraction).access == wall.kind


def test_the_open_captures_of_walled_articles_are_open(web: SimWeb) -> None:
    walls = web.truth.walls
    assert walls is not None
    for article in walls.articles:
        history = web.truth.timeline.history(article.url)
        for round_ in range(web.truth.timeline.last_round + 1):
            if round_ in history.walled or history.version(round_) is None:
                continue
            previous = last_open_text(web, article.url, round_)
            check = judged(web, article.url, round_, previous)
            assert check.access == "open", (article.url, round_, check.reason)


def test_every_rewrite_gets_its_kinds_and_stealth(web: SimWeb) -> None:
    assert len(web.truth.edits) >= 15
    for edit in web.truth.edits:
        history = web.truth.timeline.history(edit.url)
        before_round = max(r for r in range(edit.round) if r not in history.walled)
        _, before = capture(web, edit.url, before_round)
        _, after = capture(web, edit.url, edit.round)
        assert before.article is not None and after.article is not None
        classified = classify_edit(Version.of(before.article), Version.of(after.article))
        assert set(classified.kinds) == edit.kinds, (edit, classified)
        assert classified.stealth is edit.stealth, (edit, classified)
        assert classified.new_version is edit.new_text, (edit, classified)
        if edit.notice and notice_kind(edit.notice):  # not the plain paragraph appended
            assert edit.notice in classified.notices


def test_every_rights_signal_applies_or_not_as_the_truth_says(web: SimWeb) -> None:
    assert len(web.truth.rights) == 7
    for signal in web.truth.rights:
        page, _ = capture(web, signal.url, 0)
        rights = page_rights(page)
        assert rights.noarchive is signal.applies, (signal, rights)
        assert any(s.name.lower() == signal.name.lower() for s in rights.signals), signal
    asking = {s.url for s in web.truth.rights if s.applies}
    for article in web.truth.articles[:40]:
        if article.url not in asking:
            page, _ = capture(web, article.url, 0)
            assert not page_rights(page).noarchive, article.url
