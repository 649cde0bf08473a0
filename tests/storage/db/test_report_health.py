"""The report's extraction health counts article pages only: listing pages (home, section, tag
pages) would make a healthy publisher look broken (issue 18: "text 15 %")."""

from __future__ import annotations

from storage.db.report import report_rows
from storage.db.repository import Repository

from .factories import DAILY, STORY, capture, page

HOME = "http://news.example:8080/"
SECTION = "http://news.example:8080/world/"
TAG = "http://news.example:8080/tag/harbour/"
FROM_FEED = "http://news.example:8080/2025/strike"
FROM_LINK = "http://news.example:8080/2025/talks"
BROKEN = "http://news.example:8080/2025/broken"


def test_listing_pages_are_not_counted_in_extraction_health(repo: Repository) -> None:
    story_id = repo.ensure_story(STORY)
    repo.write_batch(
        [
            capture(HOME, "h"),
            capture(SECTION, "s"),
            capture(TAG, "t"),
            capture(FROM_FEED, "a1"),
            capture(FROM_LINK, "a2"),
            capture(BROKEN, "a3"),
        ],
        [
            page(HOME, "h", text=None, discovered_via="home"),
            page(SECTION, "s", text=None, discovered_via="link"),
            page(TAG, "t", text=None, discovered_via="link"),
            page(FROM_FEED, "a1", discovered_via="feed"),
            page(FROM_LINK, "a2", discovered_via="link"),
            # a feed entry that gave no article: an article page whose extraction failed
            page(BROKEN, "a3", text=None, discovered_via="feed"),
        ],
        story_id,
    )
    rows = report_rows(repo.engine, STORY.name, most_edited=5)
    ((publisher, _day, pages, with_text, with_title, _dated, _authored),) = rows.health
    assert publisher == DAILY.name
    assert (pages, with_text, with_title) == (3, 2, 2)  # not 6 pages, 2 with text (33 %)
