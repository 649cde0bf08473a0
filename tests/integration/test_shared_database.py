"""Two crawls of one story at the same time, writing one database named by NEWSARCHIVE_DB (SQLite
and PostgreSQL), then every reading verb on that database with --db or NEWSARCHIVE_DB."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.cli import db, diff, export, history, status
from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from tests.integration.conftest import FAST

pytestmark = pytest.mark.slow


def stat(log: str, name: str) -> int:
    """A counter from the stats Scrapy dumps at the end of a crawl (0 when absent)."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def test_two_crawls_at_once_share_one_database(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {**os.environ, "NEWSARCHIVE_DB": db_url}
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        # small batches, so that the two crawls' writes interleave many times
        command = [sys.executable, "-m", "crawler", "crawl", str(story), *FAST]
        crawls = [
            subprocess.Popen(
                [*command, "--data", str(tmp_path / f"data{n}"), "-s", "DB_BATCH_SIZE=5"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in (1, 2)
        ]
        logs = [crawl.communicate(timeout=300)[1] for crawl in crawls]
    for crawl, log in zip(crawls, logs, strict=True):
        assert crawl.returncode == 0, log[-3000:]
        assert stat(log, "db/errors") == stat(log, "db/lost") == 0, log[-3000:]
        assert not (tmp_path / "data1" / "newsarchive.db").exists()  # NEWSARCHIVE_DB won

    engine = open_database(db_url, create=False)
    try:
        with engine.connect() as conn:
            captures = conn.execute(select(func.count()).select_from(m.Capture)).scalar_one()
            numbers = conn.execute(
                select(m.ArticleVersion.url_id, func.max(m.ArticleVersion.version)).group_by(
                    m.ArticleVersion.url_id
                )
            ).all()
    finally:
        engine.dispose()
    # each crawl archived its own responses, and the pages are the same: one version each
    assert captures == sum(stat(log, "db/captures") for log in logs) > 0
    assert {number for _, number in numbers} == {1}
    assert len(numbers) == sum(stat(log, "db/versions/new") for log in logs)

    options = ["--data", str(tmp_path / "data1"), "--db", db_url]
    assert status.main([*options, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["relevant"] == 5
    monkeypatch.setenv("NEWSARCHIVE_DB", db_url)
    assert export.main(["--data", str(tmp_path / "data1"), "--relevant-only"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(exported) == 5
    url = exported[0]["url"]
    assert history.main([url, *options, "--format", "json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)] == [1]
    assert diff.main([url, *options]) == 0
    assert "has only one version: nothing to compare" in capsys.readouterr().err
    assert db.main(["current", *options]) == 0
    assert "(the latest)" in capsys.readouterr().out
