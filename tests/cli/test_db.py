"""`newsarchive db`, and every verb refusing a database whose schema is not this newsarchive's."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from sqlalchemy import make_url

from crawler.cli import crawl, db, diff, export, history, schedule, status
from crawler.cli import main as newsarchive
from storage.db.engine import upgrade_database
from tests.storage.db.migrations import LATER, released_head, use_later_migrations

STORY = """
name = "harbour-strike"
[[sources]]
url = "http://127.0.0.1:9/"
"""
A = "http://news.example:8080/2025/strike"


def test_upgrade_creates_then_has_nothing_to_do(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = make_url(db_url).render_as_string(hide_password=True)
    options = ["--data", str(tmp_path), "--db", db_url]
    assert db.main(["current", *options]) == 2
    assert "no newsarchive database at" in capsys.readouterr().err

    assert newsarchive(["db", "upgrade", *options]) == 0
    head = released_head()
    assert capsys.readouterr().out == f"{shown}: created at revision {head}\n"
    assert db.main(["upgrade", *options]) == 0
    assert f"at revision {head}, the latest: nothing to upgrade" in capsys.readouterr().out
    assert db.main(["current", *options]) == 0
    assert capsys.readouterr().out == f"{head} (the latest)\n"


def test_every_verb_refuses_an_outdated_database_until_it_is_upgraded(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = released_head()
    upgrade_database(db_url)  # as this newsarchive made it: now comes the next one
    use_later_migrations(tmp_path, monkeypatch)
    story = tmp_path / "story.toml"
    story.write_text(STORY)
    options = ["--data", str(tmp_path / "data"), "--db", db_url]
    shown = shlex.quote(make_url(db_url).render_as_string(hide_password=True))
    refusal = (
        f"database at revision {old}, this newsarchive needs {LATER}: "
        f"run `newsarchive db upgrade --db {shown}`"
    )
    verbs = {
        "newsarchive status": lambda: status.main(options),
        "newsarchive export": lambda: export.main([*options, "-o", str(tmp_path / "out.jsonl")]),
        "newsarchive history": lambda: history.main([A, *options]),
        "newsarchive diff": lambda: diff.main([A, *options]),
        "newsarchive crawl": lambda: crawl.main([str(story), *options]),
        "newsarchive schedule": lambda: schedule.main([str(story), "--every", "1h", *options]),
    }
    for prog, run in verbs.items():
        assert run() == 2, prog
        captured = capsys.readouterr()
        assert captured.err == f"{prog}: {refusal}\n"
        assert captured.out == ""
    assert not (tmp_path / "out.jsonl").exists()

    assert db.main(["current", *options]) == 0
    assert capsys.readouterr().out == (
        f"{old} (behind: this newsarchive needs {LATER}; run `newsarchive db upgrade`)\n"
    )
    assert db.main(["upgrade", *options]) == 0
    assert f"upgraded from revision {old} to {LATER}" in capsys.readouterr().out
    assert status.main(options) == 0


def test_a_database_of_a_newer_newsarchive_is_refused_and_not_upgraded(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_later_migrations(tmp_path, monkeypatch)
    upgrade_database(db_url)
    monkeypatch.undo()
    options = ["--data", str(tmp_path), "--db", db_url]
    for verb in (status, export):
        assert verb.main(options) == 2
        assert "which this newsarchive does not know" in capsys.readouterr().err
    assert db.main(["upgrade", *options]) == 2
    assert f"database at revision {LATER}, which this newsarchive does not know" in (
        capsys.readouterr().err
    )
    assert db.main(["current", *options]) == 0
    assert capsys.readouterr().out.startswith(f"{LATER} (unknown to this newsarchive")
