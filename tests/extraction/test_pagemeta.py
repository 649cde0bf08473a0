"""The metadata we store, read with trafilatura's parts (crawler.extraction.pagemeta): the same
fields as `trafilatura.extract_metadata` on real pages, and the date search run only when the page
states no time of publication."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import set_date_params

from crawler.extraction.metadata import linked_data, stated_dates
from crawler.extraction.pagemeta import publication_day, read_metadata

ROOT = Path(__file__).parents[2]
REAL_PAGES = sorted(
    [
        *sorted((ROOT / "bench/data/aeb/html").glob("*.html.gz"))[:40],
        *(ROOT / "tests/bench/data/corpora").glob("*/html/*.html.gz"),
    ]
)
LATEST = "2026-09-02"


def tree_of(path: Path) -> HtmlElement:
    tree = trafilatura.load_html(gzip.decompress(path.read_bytes()))
    assert tree is not None
    return tree


@pytest.mark.parametrize("path", REAL_PAGES, ids=lambda p: p.name[:16])
def test_the_fields_we_store_are_trafilaturas(path: Path) -> None:
    url = "https://news.example.org/2024/story"
    theirs = trafilatura.extract_metadata(
        tree_of(path), url, {**set_date_params(extensive=True), "max_date": LATEST}
    )
    tree = tree_of(path)
    ours = read_metadata(tree, url)
    fields = ("title", "author", "url", "sitename", "description")
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert (publication_day(tree, ours.url, LATEST) or "") == (
        date.fromisoformat(theirs.date[:10]) if theirs.date else ""
    )


def _page(head: str) -> HtmlElement:
    tree = trafilatura.load_html(
        f"<html><head>{head}</head><body><p>Published 3 March 2024.</p></body></html>"
    )
    assert tree is not None
    return tree


def test_the_date_search_runs_only_when_its_answer_counts() -> None:
    latest = date(2026, 1, 1)
    calls: list[int] = []

    def search() -> date | None:
        calls.append(1)
        return date(2024, 3, 3)

    timed = _page('<meta property="article:published_time" content="2024-03-03T10:00:00+01:00">')
    published, _ = stated_dates(timed, linked_data(timed), search, latest)
    assert published is not None and published.moment is not None
    assert calls == []

    # a stated day and no <time> of that day with a time: the search could only be thrown away
    day_only = _page('<meta property="article:published_time" content="2024-03-03">')
    published, _ = stated_dates(day_only, linked_data(day_only), search, latest)
    assert published is not None and published.day == date(2024, 3, 3)
    assert published.moment is None
    assert calls == []

    nothing = _page("")
    published, _ = stated_dates(nothing, linked_data(nothing), search, latest)
    assert published is not None and published.day == date(2024, 3, 3)
    assert calls == [1]


def _day_and_time(day: str) -> HtmlElement:
    tree = trafilatura.load_html(
        '<html><head><meta property="article:published_time" content="2024-03-03"></head>'
        f'<body><time datetime="{day}T10:00:00+01:00">10am</time></body></html>'
    )
    assert tree is not None
    return tree


@pytest.mark.parametrize(("found", "timed"), [(date(2024, 3, 3), True), (date(2024, 3, 2), False)])
def test_a_stated_day_takes_the_time_of_its_time_element_when_the_search_agrees(
    found: date, timed: bool
) -> None:
    calls: list[int] = []

    def search() -> date | None:
        calls.append(1)
        return found

    tree = _day_and_time("2024-03-03")
    published, _ = stated_dates(tree, linked_data(tree), search, date(2026, 1, 1))
    assert published is not None and published.day == date(2024, 3, 3)
    assert (published.moment is not None) is timed
    assert calls == [1]
    other_day = _day_and_time("2024-03-04")  # a <time> of another day: no search
    published, _ = stated_dates(other_day, linked_data(other_day), search, date(2026, 1, 1))
    assert published is not None and published.moment is None and calls == [1]


def test_publication_day_is_bounded_by_latest() -> None:
    tree = _page('<meta property="article:published_time" content="2030-01-01">')
    assert publication_day(tree, None, "2026-01-01") != date(2030, 1, 1)
    assert publication_day(tree, None, "2031-01-01") == date(2030, 1, 1)
