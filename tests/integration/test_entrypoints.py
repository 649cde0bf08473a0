"""The ways a user starts a crawl: `newsarchive demo`, `newsarchive crawl`, `scrapy crawl story`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.simweb import SimWeb
from storage.db import queries
from storage.db.engine import open_database
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


def test_demo_crawls_the_simulated_web_and_says_where_everything_is(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = run_newsarchive("demo", "--data", str(data))
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Simulated news web: 5 publishers on 127.0.0.1" in out
    assert "5 relevant to the story" in out
    assert "El Salvador offers to house US prisoners in its jails" in out
    assert f"Archive:   {data / 'warc'}" in out
    assert (data / "story.toml").is_file() and (data / "newsarchive.db").is_file()
    # a second run replaces the demo's own directory, and nothing else
    again = run_newsarchive("demo", "--data", str(data))
    assert again.returncode == 0, again.stderr[-3000:]
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    assert len(queries.status(engine, warc_dir=data / "warc").publishers) == 5


def test_demo_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = run_newsarchive("demo", "--data", str(tmp_path))
    assert result.returncode == 2
    assert "not empty and was not made by the demo" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_scrapy_crawl_story_works_from_the_project_directory(tmp_path: Path) -> None:
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        data = tmp_path / "data"
        scrapy = [sys.executable, "-c", "from scrapy.cmdline import execute; execute()"]
        env = {k: v for k, v in os.environ.items() if k not in ("NEWSARCHIVE_DB",)}
        result = subprocess.run(
            [
                *scrapy,
                "crawl",
                "story",
                "-a",
                f"story={story}",
                "-s",
                f"NEWSARCHIVE_DATA_DIR={data}",
                *FAST,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    assert queries.status(engine, warc_dir=data / "warc").total.relevant == 5


def test_python_dash_m_crawler_is_the_newsarchive_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for verb in ("crawl", "demo", "extract", "status", "export"):
        assert f"  {verb} " in result.stdout
