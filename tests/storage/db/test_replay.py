"""storage.db.replay: which WARC files and pages a story's package holds, on both databases."""

from __future__ import annotations

import dataclasses

import pytest

from storage.db.engine import open_database
from storage.db.queries import UnknownStory
from storage.db.replay import StoryPage, story_files
from storage.db.repository import Repository
from tests.storage.db.factories import OFF_TOPIC, OTHER, STORY, at, capture, page, revisit_capture

A = "http://news.example:8080/a"
B = "http://news.example:8080/b"
SECTION = "https://other.example/world/"
ELSEWHERE = "http://unrelated.example/x"


def test_the_story_s_files_pages_and_revisit_originals(db_url: str) -> None:
    engine = open_database(db_url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    original = capture(A, "ra", filename="one.warc.gz", offset=10)
    repo.write_batch(
        [
            original,
            capture(B, "rb", filename="one.warc.gz", offset=900),
            capture(SECTION, "rs", filename="sections.warc.gz"),
            capture(ELSEWHERE, "rx", filename="other-story.warc.gz"),
            capture(ELSEWHERE + "/same", "ry", filename="same-payload.warc.gz"),
        ],
        [
            page(A, "ra", text="Dockers strike at the harbour."),
            page(B, "rb", text="Weather: sunny.", relevance=OFF_TOPIC),
            page(SECTION, "rs", text=None, publisher=OTHER),
        ],
        story_id,
    )
    # a later crawl: A unchanged (a revisit in a new file), the section page with the payload
    # of a page elsewhere, and a revisit whose original is in no capture of this database
    revisit = dataclasses.replace(
        revisit_capture(A, "va", "ra", fetched_at=at(60)), warc_filename="two.warc.gz"
    )
    lost = dataclasses.replace(
        revisit_capture(B, "vb", "not-here", fetched_at=at(60)), warc_filename="two.warc.gz"
    )
    same = dataclasses.replace(
        revisit_capture(SECTION, "vs", "ry", fetched_at=at(60), status=200),
        warc_filename="two.warc.gz",
    )
    repo.write_batch([revisit, lost, same], [], story_id)

    files = story_files(engine, STORY.name)
    assert files.title == STORY.title
    # the unrelated host's file is left out, but not the one holding a revisit's original
    assert files.warc_filenames == (
        "one.warc.gz",
        "same-payload.warc.gz",
        "sections.warc.gz",
        "two.warc.gz",
    )
    assert files.pages == (
        StoryPage("one.warc.gz", 10, "Dockers strike"),
        StoryPage("one.warc.gz", 900, "Dockers strike"),
    )
    assert files.unresolved_revisits == 1 and files.articles_without_capture == 0
    relevant = story_files(engine, STORY.name, relevant_only=True)
    assert relevant.pages == (StoryPage("one.warc.gz", 10, "Dockers strike"),)
    assert relevant.warc_filenames == files.warc_filenames
    with pytest.raises(UnknownStory):
        story_files(engine, "no-such-story")
    engine.dispose()
