"""`newsarchive index` and `newsarchive wacz`: their answers when there is nothing to do.

What they write is checked in tests/storage (test_cdxj, test_wacz) and, on a real crawl opened
in pywb, in tests/integration/test_replay.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.cli import main as newsarchive
from storage.db.engine import open_database
from storage.db.repository import Repository
from tests.storage.db.factories import STORY, capture, page


def test_index_without_warc_files_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert newsarchive(["index", "--data", str(tmp_path)]) == 2
    assert "no WARC directory" in capsys.readouterr().err
    (tmp_path / "warc").mkdir()
    assert newsarchive(["index", "--data", str(tmp_path), "-o", str(tmp_path / "no/x")]) == 2
    assert newsarchive(["index", "--data", str(tmp_path)]) == 0
    assert (tmp_path / "indexes" / "index.cdxj").read_text() == ""
    assert "0 WARC files indexed" in capsys.readouterr().err


def test_wacz_needs_a_database_a_story_and_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    args = ["wacz", "--data", str(data), "--story", STORY.name, "-o", str(tmp_path / "s.wacz")]
    assert newsarchive(args) == 2
    assert "run a crawl first" in capsys.readouterr().err
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    assert newsarchive(args) == 2
    assert "has no archived captures" in capsys.readouterr().err
    url = "http://news.example:8080/a"
    repo.write_batch([capture(url, "ra", filename="gone.warc.gz")], [page(url, "ra")], story_id)
    engine.dispose()
    assert newsarchive(args) == 1
    assert "missing from" in capsys.readouterr().err and not (tmp_path / "s.wacz").exists()
    assert newsarchive([*args[:-4], "--story", "nope", "-o", str(tmp_path / "s.wacz")]) == 2
    assert "no story named 'nope'" in capsys.readouterr().err
