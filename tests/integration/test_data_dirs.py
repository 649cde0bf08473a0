"""Two data directories, one PostgreSQL database (the documented multi-crawler setup): each
data directory's `verify --repair` checks and repairs its own captures only, and never removes
the other's, its ingested files included (in place or copied in)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from crawler.core.datadir import data_dir_id
from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from tests.conftest import postgres_schema
from tests.integration.conftest import FAST
from tests.storage.archive import write_archive

pytestmark = pytest.mark.slow


def newsarchive(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def counts(db_url: str, names: set[str]) -> tuple[int, int, int]:
    """(captures, captures pointing into `names`, article versions with a capture)."""
    engine = open_database(db_url, create=False)
    try:
        with engine.connect() as conn:
            captures = conn.execute(select(func.count()).select_from(m.Capture)).scalar_one()
            theirs = conn.execute(
                select(func.count()).where(m.Capture.warc_filename.in_(sorted(names)))
            ).scalar_one()
            versions = conn.execute(
                select(func.count()).where(m.ArticleVersion.capture_id.is_not(None))
            ).scalar_one()
    finally:
        engine.dispose()
    return captures, theirs, versions


def test_repair_of_one_data_dir_leaves_the_others_captures_alone(
    postgres_server: URL, tmp_path: Path
) -> None:
    p1, p2 = tmp_path / "p1", tmp_path / "p2"
    with postgres_schema(postgres_server) as db_url, SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        for data in (p1, p2):
            done = newsarchive("crawl", str(story), "--data", str(data), "--db", db_url, *FAST)
            assert done.returncode == 0, done.stderr[-3000:]
        # P2 also holds another crawler's files: one ingested where it lies, one copied in
        elsewhere = write_archive(tmp_path / "elsewhere", pages=2).path
        copied = write_archive(tmp_path / "to-copy", pages=2).path
        for extra in ([str(elsewhere)], ["--copy", str(copied)]):
            done = newsarchive("ingest", *extra, "--data", str(p2), "--db", db_url)
            assert done.returncode == 0, done.stderr[-3000:]
        assert data_dir_id(p1) != data_dir_id(p2)

        p2_files = {p.name for p in (p2 / "warc").iterdir()} | {str(elsewhere)}
        before = counts(db_url, p2_files)
        assert before[1] > 0 and before[0] > before[1]

        # P2's files are not in P1: P1's check leaves them alone, its repair removes nothing
        checked = newsarchive("verify", "--data", str(p1), "--db", db_url)
        assert checked.returncode == 0, checked.stdout[-3000:]
        assert f"({before[1]} captures of other data directories left alone)" in checked.stdout
        repaired = newsarchive("verify", "--data", str(p1), "--db", db_url, "--repair")
        assert repaired.returncode == 0, repaired.stdout[-3000:]
        assert "removed capture" not in repaired.stdout
        assert counts(db_url, p2_files) == before

        # P2's own check is clean, its ingested files included; so is a moved P2
        moved = tmp_path / "moved" / "p2"
        moved.parent.mkdir()
        shutil.move(p2, moved)
        checked = newsarchive("verify", "--data", str(moved), "--db", db_url)
        assert checked.returncode == 0, checked.stdout[-3000:]
        assert "no problems" in checked.stdout
        repaired = newsarchive("verify", "--data", str(moved), "--db", db_url, "--repair")
        assert repaired.returncode == 0, repaired.stdout[-3000:]
        assert counts(db_url, p2_files) == before

        # a file P1 lost is P1's to repair: only its captures go
        lost = sorted((p1 / "warc").iterdir())[0]
        lost_captures = counts(db_url, {lost.name})[1]
        assert lost_captures > 0
        lost.unlink()
        repaired = newsarchive("verify", "--data", str(p1), "--db", db_url, "--repair")
        assert repaired.returncode == 0, repaired.stdout[-3000:]
        after = counts(db_url, p2_files)
        assert after[0] == before[0] - lost_captures
        assert after[1] == before[1]  # nothing of P2's
        # (P2's revisits of pages P1 had archived first now refer to records that are gone)
