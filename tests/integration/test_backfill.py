"""`newsarchive backfill` after a crawl of the simulated web (round 1, once one article is
deleted): the archives give back the in-window articles the live site lost, with their original
capture times and `via`; a second run adds nothing; `history` interleaves the archives' captures
and our own by time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from tests.integration.conftest import FAST, run_newsarchive
from tests.services.test_backfill import archives_toml


@dataclass
class Backfilled:
    web: SimWeb
    data: Path
    story: Path
    outputs: list[str]


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    tmp = tmp_path_factory.mktemp("backfill")
    data = tmp / "data"
    with SimWeb(archive=True) as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml() + archives_toml(web))
        crawl = run_newsarchive("crawl", str(story), "--data", str(data), *FAST)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        outputs = []
        for _ in range(2):
            result = run_newsarchive("backfill", str(story), "--data", str(data))
            assert result.returncode == 0, result.stderr[-3000:]
            outputs.append(result.stdout)
        yield Backfilled(web, data, story, outputs)


def test_the_lost_articles_come_back_judged_relevant(backfilled: Backfilled) -> None:
    held = backfilled.web.truth.archive
    lost = {normalise_url(u) for u in held.recoverable(0)}
    assert len(lost) == 3
    engine = open_database(f"sqlite:///{backfilled.data / 'newsarchive.db'}")
    with engine.connect() as conn:
        relevant = set(
            conn.scalars(
                select(m.Url.url)
                .join(m.StoryArticle, m.StoryArticle.url_id == m.Url.id)
                .where(m.StoryArticle.relevant.is_(True))
            )
        )
        vias = dict(conn.execute(select(m.Capture.via, func.count()).group_by(m.Capture.via)).all())
    engine.dispose()
    assert lost <= relevant
    assert vias["wayback"] > 0 and vias["cc"] > 0 and vias[None] > 100


def test_a_second_run_adds_nothing(backfilled: Backfilled) -> None:
    first, second = backfilled.outputs
    assert "stored 0 captures" not in first.splitlines()[0]
    for line in second.splitlines()[:2]:
        assert "fetched 0, failed 0" in line and "stored 0 captures" in line, second
    assert second.splitlines()[-1] == "new versions: 0"


def test_history_interleaves_the_archives_and_our_captures(backfilled: Backfilled) -> None:
    """The Ledgerline's seed is live (our crawl, gzip-encoded: another payload digest) and in
    the Wayback Machine since February 2025: its one text was first seen by the archive, then by
    us. Continental Herald's article, captured by the archives with the bytes our crawl got, is
    skipped: nothing new."""
    held = backfilled.web.truth.archive
    ledgerline = next(p for p in backfilled.web.publishers if p.name == "The Ledgerline")
    (seed,) = {
        c
        for c in held.of("wayback")
        if c.article and c.on_topic and c.in_window and c.article not in held.gone
        if c.url.startswith(ledgerline.base_url)
    }
    data = str(backfilled.data)
    result = run_newsarchive("history", seed.url, "--data", data, "--format", "json")
    assert result.returncode == 0, result.stderr
    (version,) = json.loads(result.stdout)
    assert _stamp(version["first_seen"]) == seed.timestamp
    assert version["via"] == "wayback"
    assert version["last_seen"] > "2026"  # our crawl, now
    assert version["captured_at"] > "2026"  # the version's text was extracted from our capture

    (herald,) = {c.article for c in held.captures if c.article and c.article in held.gone} - set(
        held.recoverable(0)
    )
    result = run_newsarchive("history", herald, "--data", data, "--format", "json")
    (version,) = json.loads(result.stdout)
    assert version["via"] is None and version["first_seen"] > "2026"

    # the Ledgerline article the archives saw in two texts: two versions in time order
    rubio = next(u for u in held.recoverable(0) if "rubio" in u)
    result = run_newsarchive("history", rubio, "--data", str(backfilled.data))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[7] == "via"
    # the first text is in both archives, taken at the same second: the first by name is kept
    assert [line.split()[5] for line in lines[2:]] == ["cc", "wayback"], lines


def _stamp(iso: str) -> str:
    return iso.replace("-", "").replace(":", "").replace("T", "")[:14]


def test_verify_finds_the_copies_sound(backfilled: Backfilled) -> None:
    """The copied records (a Common Crawl record byte for byte, a replay rebuilt) and their
    metadata records are the data directory's own files: `verify` checks them like the crawl's."""
    result = run_newsarchive("verify", "--data", str(backfilled.data))
    assert result.returncode == 0, result.stdout + result.stderr
