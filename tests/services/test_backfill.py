"""`newsarchive backfill` against the simulated web's archives on loopback (a Wayback Machine and
a Common Crawl index with its WARC files), held to their truth (`web.truth.archive`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crawler.core.story import Story, parse_story
from crawler.core.urls import normalise_url
from crawler.services.backfill import Backfill
from crawler.services.exchange import paired
from crawler.services.ingest import Ingester
from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.repository import Repository
from storage.warcscan import scan


def archives_toml(web: SimWeb, *, wayback: bool = True, cc: bool = True) -> str:
    held = web.truth.archive
    text = ""
    if wayback:
        text += (
            '\n[[archives]]\nname = "wayback"\nkind = "wayback"\n'
            f'cdx = "{held.wayback}cdx/search/cdx"\n'
            f'replay = "{held.wayback}web/{{timestamp}}id_/{{url}}"\ndelay = 0\n'
        )
    if cc:
        text += (
            '\n[[archives]]\nname = "cc"\nkind = "commoncrawl"\n'
            f'cdx = "{held.cc_index}{held.collection}-index"\n'
            f'data = "{held.cc_data}"\ndelay = 0\n'
        )
    return text


@pytest.fixture(scope="module")
def web() -> Iterator[SimWeb]:
    with SimWeb(archive=True) as web:
        yield web


@dataclass
class Run:
    engine: Engine
    story: Story
    warc_dir: Path

    def backfill(self) -> Backfill:
        backfill = Backfill(
            Repository(self.engine),
            self.story,
            warc_dir=self.warc_dir,
            user_agent="newsarchive-test",
            err=io.StringIO(),
        )
        backfill.run()
        return backfill


@pytest.fixture
def run(web: SimWeb, db_url: str, tmp_path: Path) -> Iterator[Run]:
    engine = open_database(db_url)
    story = parse_story(web.story_toml() + archives_toml(web))
    yield Run(engine, story, tmp_path / "warc")
    engine.dispose()


def stored(engine: Engine) -> list[tuple[str, str | None, str]]:
    with engine.connect() as conn:
        return [
            (url, via, digest)
            for url, via, digest in conn.execute(
                select(m.Url.url, m.Capture.via, m.Capture.payload_digest).join(
                    m.Url, m.Url.id == m.Capture.url_id
                )
            )
        ]


def test_both_archives_give_the_lost_articles_with_their_times_and_via(
    web: SimWeb, run: Run
) -> None:
    held = web.truth.archive
    first = run.backfill()
    stats = first.report.stats
    captures = stored(run.engine)
    # every 200 HTML capture of the story's sources in the window, once per (URL, digest)
    expected = {
        (normalise_url(c.url), "sha1:" + c.digest)
        for c in held.captures
        if c.status == 200 and c.mime == "text/html" and "20250201" <= c.timestamp[:8] <= "20250228"
    }
    assert {(url, digest) for url, _, digest in captures} == expected
    assert len(captures) == len(expected)
    assert {via for _, via, _ in captures} == {"wayback", "cc"}
    assert stats["wayback/failed"] == stats["cc/failed"] == 0
    assert stats["wayback/cdx/duplicates"] + stats["cc/cdx/duplicates"] >= 1
    assert stats["wayback/requests/robots"] == 1
    assert stats["cc/requests/robots"] == 2  # the index's host and the data host
    assert stats["cc/requests/range"] == stats["cc/answers/206"] == stats["cc/fetched"]
    # the articles only archives hold: stored, judged relevant
    with run.engine.connect() as conn:
        relevant = {
            url
            for (url,) in conn.execute(
                select(m.Url.url)
                .join(m.StoryArticle, m.StoryArticle.url_id == m.Url.id)
                .where(m.StoryArticle.relevant.is_(True))
            )
        }
    assert {normalise_url(u) for u in held.recoverable(0)} <= relevant
    # original capture times
    times = {(c.archive, c.url, c.timestamp) for c in held.captures}
    with run.engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, m.Capture.via, m.Capture.fetched_at).join(
                m.Url, m.Url.id == m.Capture.url_id
            )
        ).all()
    for url, via, when in rows:
        archive = "wayback" if via == "wayback" else "cc"
        assert any(
            a == archive and normalise_url(u) == url and t == f"{when:%Y%m%d%H%M%S}"
            for a, u, t in times
        ), (url, via, when)

    second = run.backfill()  # idempotent: nothing new
    assert stored(run.engine) == captures
    assert second.report.fetched == 0
    assert second.report.stats["wayback/cdx/already_stored"] > 0


def test_the_records_are_the_archives_and_name_where_they_came_from(web: SimWeb, run: Run) -> None:
    held = web.truth.archive
    run.backfill()
    files = sorted(run.warc_dir.glob("*.warc.gz"))
    assert files
    by_key = {(c.archive, c.url, c.timestamp): c for c in held.captures}
    seen = {"wayback": 0, "cc": 0}
    for path in files:
        for item in paired(scan(path), path.name):
            record = item.record
            if record.rec_type == "metadata":
                fields = dict(line.split(": ", 1) for line in record.payload.decode().splitlines())
                base = held.wayback if fields["via"] == "wayback" else held.cc_data
                assert fields["archive-url"].startswith(base)
                assert record.warc_header("WARC-Concurrent-To")
                continue
            if record.rec_type != "response":
                continue
            via = getattr(item, "via", None)
            assert via in ("wayback", "cc")
            stamp = (record.warc_header("WARC-Date") or "").replace("-", "").replace(":", "")
            capture = by_key[(via, record.target_uri or "", stamp[:8] + stamp[9:15])]
            assert record.payload == capture.body
            if via == "cc":  # byte for byte: the archive's own record, at our offset
                member = _cc_member(web, capture.filename, capture.offset, capture.length)
                with path.open("rb") as file:
                    file.seek(item.offset)
                    assert file.read(item.length) == member
            seen[via] += 1
    assert seen["wayback"] and seen["cc"]


def _cc_member(web: SimWeb, filename: str, offset: int, length: int) -> bytes:
    import urllib.request

    request = urllib.request.Request(
        web.truth.archive.cc_data + filename,
        headers={"Range": f"bytes={offset}-{offset + length - 1}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def test_wayback_pages_by_resume_key(
    web: SimWeb, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two rows a page: every page of every host is asked for, and nothing is missed."""
    monkeypatch.setattr("crawler.services.backfill.PAGE_SIZE", 2)
    stats = run.backfill().report.stats
    assert stats["wayback/cdx/pages"] > stats["wayback/requests/cdx"] - 5 > 0  # resumed pages
    assert stats["cc/cdx/pages"] == 5  # Justice Dispatch's captures fill two index pages
    held = web.truth.archive
    wayback = {
        (normalise_url(c.url), "sha1:" + c.digest)
        for c in held.of("wayback")
        if c.status == 200 and c.mime == "text/html" and c.timestamp[:6] == "202502"
    }
    assert wayback <= {(url, digest) for url, _, digest in stored(run.engine)}


def test_an_interrupted_run_goes_on_where_it_stopped(run: Run) -> None:
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 4

    backfill = Backfill(
        Repository(run.engine), run.story, warc_dir=run.warc_dir, user_agent="t", stop=stop
    )
    first = backfill.run().fetched
    assert 0 < first < 16
    second = run.backfill().report
    assert second.fetched == 16 - first
    assert sum(v for k, v in second.stats.items() if k.endswith("already_stored")) == first


def test_ingesting_the_files_again_keeps_via(run: Run, tmp_path: Path) -> None:
    """The metadata record beside each copy names the archive: a database rebuilt from the
    WARC files (ingest, recovery) has the same `via`."""
    run.backfill()
    engine = open_database(f"sqlite:///{tmp_path / 'again.db'}")
    ingester = Ingester(
        Repository(engine), warc_dir=run.warc_dir, story=run.story, err=io.StringIO()
    )
    try:
        for path in sorted(run.warc_dir.glob("*.warc.gz")):
            ingester.ingest(path, path.name)
        ingester.finish()
    finally:
        ingester.close()
    assert sorted(stored(engine), key=str) == sorted(stored(run.engine), key=str)
    engine.dispose()


def test_versions_are_decided_by_the_storys_rules_as_in_a_crawl(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backfill writes through the same decision as every other door (walls, edit kinds,
    the story's [versions] rules), not storage's fallback."""
    import crawler.services.backfill as backfill_module

    asked: list[Story | None] = []
    real = backfill_module.story_decider

    def spy(story: Story | None) -> object:
        asked.append(story)
        return real(story)

    monkeypatch.setattr(backfill_module, "story_decider", spy)
    run.backfill()
    assert asked and all(story is run.story for story in asked)
