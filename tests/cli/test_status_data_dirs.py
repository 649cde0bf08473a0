"""`newsarchive status --data P1` on a PostgreSQL database that data directories P1 and P2
share: P1's counts and missing files are its own; P2's captures are only counted as "not
counted" (issue 14, item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from crawler.cli import ingest as ingest_cli
from crawler.cli import status as status_cli
from storage.db import models as m
from storage.db.engine import open_database
from tests.conftest import postgres_schema
from tests.storage.archive import write_archive


def ingest(data: Path, db_url: str, *args: str) -> None:
    argv = [*args, "--data", str(data), "--db", db_url, "--workers", "1", "--progress", "0"]
    assert ingest_cli.main(argv) == 0


def captures_by_file(db_url: str) -> dict[str, int]:
    engine = open_database(db_url, create=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(m.Capture.warc_filename, func.count()).group_by(m.Capture.warc_filename)
            )
            return {name: count for name, count in rows}
    finally:
        engine.dispose()


def status(
    data: Path, db_url: str, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    capsys.readouterr()
    code = status_cli.main(["--data", str(data), "--db", db_url, *args])
    return code, capsys.readouterr().out


def test_status_counts_only_its_own_data_dirs_files(
    postgres_server: URL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p1, p2 = tmp_path / "p1", tmp_path / "p2"
    with postgres_schema(postgres_server) as db_url:
        ingest(p1, db_url, "--copy", str(write_archive(tmp_path / "a", pages=2).path))
        ingest(p2, db_url, "--copy", str(write_archive(tmp_path / "b", pages=3).path))
        # P2 also registers a file ingested where it lies: present on disk, but P2's
        in_place = write_archive(tmp_path / "c", pages=1).path
        ingest(p2, db_url, str(in_place))

        mine = {p.name for p in (p1 / "warc").iterdir()}
        by_file = captures_by_file(db_url)
        assert len(by_file) == 3 and len(mine) == 1
        own = sum(n for name, n in by_file.items() if name in mine)
        theirs = sum(n for name, n in by_file.items() if name not in mine)
        assert own > 0 and theirs > 0

        code, out = status(p1, db_url, capsys, "--format", "json")
        assert code == 0
        report = json.loads(out)
        assert report["missing_warc_files"] == []
        assert report["total"]["captures"] == own
        assert report["total"]["warc_files"] == 1
        assert report["total"]["warc_missing"] == 0
        assert report["total"]["warc_bytes"] == (p1 / "warc" / next(iter(mine))).stat().st_size
        assert report["other_data_dirs"] == {"captures": theirs, "warc_files": 2}

        code, out = status(p1, db_url, capsys)
        assert code == 0
        assert "missing" not in out
        assert f"Not counted: {theirs} captures in 2 WARC files of other data directories" in out

        # P2 sees the mirror image
        code, out = status(p2, db_url, capsys, "--format", "json")
        report = json.loads(out)
        assert report["total"]["captures"] == theirs
        assert report["other_data_dirs"] == {"captures": own, "warc_files": 1}

        # a file of P1's own that is gone is still reported missing, and counted
        (p1 / "warc" / next(iter(mine))).unlink()
        code, out = status(p1, db_url, capsys)
        assert code == 0
        assert f"1 WARC file is missing from {p1 / 'warc'}: {next(iter(mine))}" in out
