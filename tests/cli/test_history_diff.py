"""`newsarchive history` and `newsarchive diff` on a database with an article's whole life:
first seen through a redirect, seen unchanged, corrected, retitled, then deleted."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

from crawler.cli import diff, history
from crawler.cli import main as newsarchive
from crawler.core.article import Extraction
from crawler.versions.diff import GREEN, RED_STRUCK
from storage.db.engine import open_database
from storage.db.records import PageRecord
from storage.db.repository import Repository
from tests.storage.db.factories import (
    EXTRACTOR,
    OPTIONS,
    STORY,
    WARC,
    article,
    at,
    capture,
    gone,
    page,
)
from tests.test_docs import ROOT, section, table_names

A = "http://news.example:8080/2025/strike"
ALIAS = "http://news.example:8080/s/123"
ONCE = "http://news.example:8080/2025/once"
SECTION = "http://news.example:8080/section/"
TEXT_1 = "The dockers went on strike at the harbour.\nThe port is closed."
TEXT_2 = "The dockers went on strike at the docks.\nThe port is closed.\nTalks resume on Monday."


def titled(record: PageRecord, title: str) -> PageRecord:
    """`record` with its article's title changed (the factories' pages all have one title)."""
    assert record.article is not None
    body = article(record.article.text, title=title)
    return dataclasses.replace(record, extraction=Extraction(body, None, EXTRACTOR, OPTIONS))


@pytest.fixture
def archive(db_url: str, tmp_path: Path) -> list[str]:
    """Three versions of A (the third only retitled), then A deleted; ONCE with one version and
    SECTION with none. Returns the data options to pass to a verb."""
    repo = Repository(open_database(db_url))
    story_id = repo.ensure_story(STORY)
    repo.write_batch(
        [capture(ALIAS, "r0", status=301, location=A), capture(A, "r1", offset=700)],
        [page(ALIAS, "r1", final_url=A, aliases=(ALIAS,), text=TEXT_1)],
        story_id,
    )
    repo.write_batch([], [page(A, None, text=TEXT_1, fetched_at=at(60))], story_id)
    repo.write_batch(
        [capture(A, "r2", fetched_at=at(120), filename="two.warc.gz")],
        [page(A, "r2", text=TEXT_2, fetched_at=at(120))],
        story_id,
    )
    repo.write_batch(
        [],
        [titled(page(A, None, text=TEXT_2, fetched_at=at(180)), "Dockers strike ends")],
        story_id,
    )
    repo.write_batch([], [], story_id, revisits=[gone(A, fetched_at=at(240), status=404)])
    repo.write_batch(
        [capture(ONCE, "r3"), capture(SECTION, "r4")],
        [page(ONCE, "r3"), page(SECTION, "r4", text=None)],
        story_id,
    )
    repo.engine.dispose()
    return ["--data", str(tmp_path / "data"), "--db", db_url]


def test_history_text(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert newsarchive(["history", ALIAS, *archive]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == A  # the article's URL, though asked by its alias
    assert lines[1].split() == ["version", "first", "seen", "(UTC)", "last", "seen", "(UTC)",
                                "via", "added", "removed", "kinds", "title"]  # fmt: skip
    assert lines[2].split() == ["1", "2025-03-01", "12:00:00", "2025-03-01", "13:00:00", "-",
                                "-", "Dockers", "strike"]  # fmt: skip
    assert lines[3].split() == ["2", "2025-03-01", "14:00:00", "2025-03-01", "14:00:00", "-",
                                "+5", "-1", "-", "Dockers", "strike"]  # fmt: skip
    assert lines[4].split() == ["3", "2025-03-01", "15:00:00", "2025-03-01", "15:00:00", "-",
                                "+1", "-0", "-", "Dockers", "strike", "ends"]  # fmt: skip
    assert lines[5] == "deleted: found gone (404 or 410) at 2025-03-01 16:00:00 UTC"
    assert len(lines) == 6
    assert lines[1].index("first seen") == lines[2].index("2025") == lines[4].index("2025")


def test_history_json(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert history.main([A, *archive, "--format", "json"]) == 0
    one, two, three = json.loads(capsys.readouterr().out)
    assert list(one) == [
        "version", "first_seen", "last_seen", "words_added", "words_removed", "title",
        "text_sha256", "extractor", "captured_at", "warc_filename", "warc_offset",
        "warc_record_id", "via", "change_kinds", "stealth", "deleted", "deleted_at",
    ]  # fmt: skip
    assert one == one | {
        "version": 1,
        "first_seen": "2025-03-01T12:00:00+00:00",
        "last_seen": "2025-03-01T13:00:00+00:00",
        "words_added": None,
        "words_removed": None,
        "title": "Dockers strike",
        "extractor": EXTRACTOR,
        "captured_at": "2025-03-01T12:00:00+00:00",
        "warc_filename": WARC,
        "warc_offset": 700,
        "warc_record_id": "<urn:uuid:r1>",
        "deleted": True,
        "deleted_at": "2025-03-01T16:00:00+00:00",
    }
    assert (two["words_added"], two["words_removed"], two["warc_filename"]) == (5, 1, "two.warc.gz")
    assert (three["words_added"], three["words_removed"], three["title"]) == (
        1,
        0,
        "Dockers strike ends",
    )
    assert (three["captured_at"], three["warc_record_id"]) == (None, None)
    assert len({one["text_sha256"], two["text_sha256"], three["text_sha256"]}) == 3


def test_versions_md_documents_every_history_field_in_order(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert history.main([A, *archive, "--format", "json"]) == 0
    fields = list(json.loads(capsys.readouterr().out)[0])
    assert table_names(section(ROOT / "docs" / "versions.md", "#### JSON")) == fields


def test_history_of_an_article_that_is_not_deleted(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert history.main([ONCE, *archive]) == 0
    out = capsys.readouterr().out
    assert "deleted" not in out
    assert len(out.splitlines()) == 3
    assert history.main([ONCE, *archive, "--format", "json"]) == 0
    [only] = json.loads(capsys.readouterr().out)
    assert (only["deleted"], only["deleted_at"]) == (False, None)


@pytest.mark.parametrize("verb", [history, diff])
def test_urls_without_versions(
    verb: Any, archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert verb.main(["http://news.example:8080/nope", *archive]) == 2
    assert capsys.readouterr().err == (
        f"{verb.PROG}: no URL http://news.example:8080/nope in the database\n"
    )
    assert verb.main([SECTION, *archive]) == 2
    assert "is in the database, but not as an article" in capsys.readouterr().err


@pytest.mark.parametrize("verb", [history, diff])
def test_no_database(
    verb: Any, tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verb.main([A, "--data", str(tmp_path), "--db", db_url]) == 2
    assert "no newsarchive database at" in capsys.readouterr().err


def test_diff_of_the_last_two_versions(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert newsarchive(["diff", ALIAS, *archive]) == 0
    assert capsys.readouterr().out == (
        f"{A}\n"
        "version 2 (first seen 2025-03-01 14:00:00 UTC) → version 3 (first seen 2025-03-01 "
        "15:00:00 UTC): 1 word added, 0 removed\n"
        "\n"
        "title: Dockers strike{+ ends+}\n"
        "text: unchanged\n"
    )


def test_diff_of_chosen_versions(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert diff.main([A, "--from", "1", "--to", "2", *archive]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "version 1 (first seen 2025-03-01 12:00:00 UTC) → version 2 (first seen 2025-03-01 "
        "14:00:00 UTC): 5 words added, 1 removed",
        "",
        "title (unchanged): Dockers strike",
        "text:",
        "The dockers went on strike at the [-harbour-]{+docks+}.",
        "The port is closed.{+",
        "Talks resume on Monday.+}",
    ]
    assert diff.main([A, "--to", "2", *archive]) == 0  # --from: the version before
    assert "version 1 (first seen" in capsys.readouterr().out
    assert diff.main([A, "--from", "1", *archive]) == 0  # --to: the latest
    assert "→ version 3" in capsys.readouterr().out


def test_diff_json(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert diff.main([A, "--from", "1", *archive, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["url", "from", "to", "title", "text"]
    assert out["url"] == A
    assert out["from"] == {
        "version": 1,
        "first_seen": "2025-03-01T12:00:00+00:00",
        "last_seen": "2025-03-01T13:00:00+00:00",
        "text_sha256": out["from"]["text_sha256"],
    }
    assert out["to"]["version"] == 3
    assert out["title"] == {
        "words_added": 1,
        "words_removed": 0,
        "ops": [{"op": "equal", "text": "Dockers strike"}, {"op": "insert", "text": " ends"}],
    }
    assert (out["text"]["words_added"], out["text"]["words_removed"]) == (5, 1)
    assert "".join(op["text"] for op in out["text"]["ops"] if op["op"] != "delete") == TEXT_2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_diff_in_colour_on_a_terminal(
    archive: list[str], monkeypatch: pytest.MonkeyPatch, no_color: str | None, coloured: bool
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert diff.main([A, "--from", "1", "--to", "2", *archive]) == 0
    out = terminal.getvalue()
    assert (f"{RED_STRUCK}harbour" in out and f"{GREEN}docks" in out) is coloured
    assert ("[-harbour-]{+docks+}" in out) is not coloured


def test_diff_with_one_version(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert diff.main([ONCE, *archive]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"newsarchive diff: {ONCE} has only one version: nothing to compare\n"


def test_diff_of_unknown_versions(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert diff.main([A, "--to", "7", *archive]) == 2
    assert capsys.readouterr().err == (
        f"newsarchive diff: {A} has no version 7 (it has versions 1 to 3)\n"
    )
    assert diff.main([A, "--from", "0", *archive]) == 2
    assert "has no version 0" in capsys.readouterr().err
    assert diff.main([ONCE, "--from", "2", *archive]) == 2
    assert "(it has only version 1)" in capsys.readouterr().err
    assert diff.main([A, "--to", "1", *archive]) == 0
    assert "has no version before 1: nothing to compare" in capsys.readouterr().err
