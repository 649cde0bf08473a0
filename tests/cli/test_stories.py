"""`newsarchive stories`: every story with its counts; and every "no story named X" names the
stories there are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.cli import export, report, stories, wacz
from crawler.core.story import Story
from storage.db.engine import open_database
from storage.db.repository import Repository
from tests.storage.db.factories import DAILY, OFF_TOPIC, STORY, at, capture, page

QUIET = Story(name="quiet-story", title="Nothing yet", sources=(DAILY,))


@pytest.fixture
def data(db_url: str, tmp_path: Path) -> list[str]:
    engine = open_database(db_url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    repo.ensure_story(QUIET)
    a, b = "http://news.example:8080/a", "http://news.example:8080/b"
    repo.write_batch(
        [capture(a, "r1"), capture(b, "r2"), capture("http://news.example:8080/", "r3")],
        [page(a, "r1"), page(b, "r2", relevance=OFF_TOPIC)],
        story_id,
    )
    repo.write_batch(
        [capture(a, "r4", fetched_at=at(60))],
        [page(a, "r4", text="The dockers ended their strike.", fetched_at=at(60))],
        story_id,
    )
    engine.dispose()
    return ["--data", str(tmp_path), "--db", db_url]


def test_stories_lists_counts(data: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert stories.main([*data, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in listed] == ["harbour-strike", "quiet-story"]
    strike, quiet = listed
    assert {
        k: strike[k] for k in ("publishers", "articles", "relevant", "versions", "captures")
    } == {
        "publishers": 2,
        "articles": 2,
        "relevant": 1,
        "versions": 3,
        "captures": 4,
    }
    assert strike["title"] == "Harbour strike"
    assert strike["last_crawl"] is None  # no crawl run recorded by these batches
    assert (quiet["publishers"], quiet["articles"], quiet["captures"]) == (1, 0, 4)
    assert stories.main(data) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == [
        "story", "publishers", "articles", "relevant", "versions", "captures", "last", "crawl",
    ]  # fmt: skip
    assert text[1].split() == ["harbour-strike", "2", "2", "1", "3", "4", "-"]
    assert "harbour-strike: Harbour strike" in text


@pytest.mark.parametrize("verb", [export, report, wacz])
def test_an_unknown_story_lists_the_stories_there_are(
    data: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: object
) -> None:
    out = str(tmp_path / "out")
    assert verb.main([*data, "--story", "nope", "-o", out]) == 2  # type: ignore[attr-defined]
    assert capsys.readouterr().err.endswith(
        "no story named 'nope' in the database; stories: harbour-strike, quiet-story\n"
    )


def test_stories_of_an_empty_database(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_database(db_url).dispose()
    assert stories.main(["--data", str(tmp_path), "--db", db_url]) == 0
    assert "no stories yet" in capsys.readouterr().out
