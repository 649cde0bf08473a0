"""`newsarchive search`: hits with snippets, every version, and the edits that added or removed
a match, with when; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.cli import search
from storage.db.engine import open_database
from storage.db.repository import Repository
from tests.storage.db.factories import STORY
from tests.storage.db.searchdata import BASE, ELSEWHERE, write_archive


@pytest.fixture
def data(db_url: str, tmp_path: Path) -> list[str]:
    engine = open_database(db_url)
    repo = Repository(engine)
    write_archive(repo, repo.ensure_story(STORY))
    engine.dispose()
    return ["--data", str(tmp_path), "--db", db_url]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = search.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_current_versions_by_default_every_version_on_request(
    data: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    found = as_json(capsys, "cecot", *data)
    assert {(h["url"], h["version"]) for h in found["hits"]} == {(f"{BASE}b", 1), (f"{BASE}e", 3)}
    assert found["total"] == 2
    title_hit = found["hits"][0]
    start, end = title_hit["highlights"][0]
    assert title_hit["snippet"][start:end] == "CECOT"
    every = as_json(capsys, "cecot", "--all-versions", *data)
    assert {(h["url"], h["version"], h["current"]) for h in every["hits"]} == {
        (f"{BASE}a", 1, False),
        (f"{BASE}b", 1, True),
        (f"{BASE}e", 2, False),
        (f"{BASE}e", 3, True),
    }


def test_text_output_marks_matches(data: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, '"gang members"', *data)
    assert code == 0
    assert out.startswith("1 articles (current versions) match '\"gang members\"'")
    assert "[gang] [members]" in out or "[gang members]" in out
    assert f"{BASE}a" in out and "version 3 (current)" in out


def test_removed_finds_the_edit_and_when(
    data: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    found = as_json(capsys, "cecot", "--removed", *data)
    assert len(found) == 1
    change = found[0]
    assert (change["url"], change["from_version"], change["to_version"]) == (f"{BASE}a", 1, 2)
    # version 1 was captured at 12:00 and last seen then; version 2 first seen at 13:00
    assert change["after"] == "2025-03-01T12:00:00+00:00"
    assert change["before"] == "2025-03-01T13:00:00+00:00"
    (passage,) = change["passages"]
    start, end = passage["highlights"][0]
    assert passage["text"][start:end] == "CECOT"
    assert "prison in Tecoluca" in passage["text"]
    code, out, _ = run(capsys, "cecot", "--removed", *data)
    assert code == 0
    assert "version 1 → 2: removed between 2025-03-01 12:00:00 UTC (last seen with it) and " in out
    assert "- The [CECOT] prison in Tecoluca holds gang members." in out


def test_added_finds_the_edit_that_brought_a_match_not_later_edits_around_it(
    data: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    found = as_json(capsys, "cecot", "--added", *data)
    # e's version 2 added CECOT; version 3 edited the same sentence but kept CECOT
    assert [(c["url"], c["to_version"]) for c in found] == [(f"{BASE}e", 2)]
    assert found[0]["before"] == "2025-03-01T13:40:00+00:00"
    terror = as_json(capsys, '"confinement center" OR signed', "--added", *data)
    assert [(c["url"], c["to_version"]) for c in terror] == [(f"{BASE}e", 2), (f"{BASE}e", 3)]
    assert terror[1]["passages"][0]["text"] == "Transfer deal signed"  # a title change counts
    later = as_json(capsys, "cecot", "--added", "--since", "2025-03-02", *data)
    assert later == []


def test_filters_and_errors(data: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    other = as_json(capsys, "salvador", "--publisher", "Other Times", *data)
    assert [h["url"] for h in other["hits"]] == [f"{ELSEWHERE}c"]
    code, _, err = run(capsys, "cecot", "--story", "nope", *data)
    assert code == 2
    assert err == (
        "newsarchive search: no story named 'nope' in the database; stories: harbour-strike\n"
    )
    code, _, err = run(capsys, "NOT cecot", *data)
    assert (code, err.count("\n")) == (2, 1)
    assert "bad query: NOT" in err
    code, _, err = run(capsys, '"open phrase', *data)
    assert code == 2 and "not closed" in err


def test_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "cecot", "--data", str(tmp_path))
    assert code == 2 and "no newsarchive database" in err
