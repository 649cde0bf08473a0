"""`newsarchive reextract` over a real crawl of the simulated web: the same extractor reproduces
the crawl's texts exactly, other options add versions exactly where the text changed, and runs
are idempotent and resumable. Each test works on its own copy of the demo crawl's data."""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crawler.core.story import parse_story
from crawler.extraction.extract import extract, extractor_name
from crawler.extraction.options import ExtractOptions
from storage.db import models as m
from storage.db.engine import open_database
from storage.warc import page_from_record, read_record
from tests.integration.conftest import CrawlRun, run_newsarchive

pytestmark = pytest.mark.slow

COMMENTS = ExtractOptions(include_comments=True)
"""Options that change the text of some of the simulated web's articles (those with comments)."""


def copy(run: CrawlRun, tmp: Path) -> Path:
    data = tmp / "data"
    shutil.copytree(run.data, data)
    return data


def reextract(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_newsarchive("reextract", "--data", str(data), "--workers", "2", *args)


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    counts = {}
    for line in result.stdout.splitlines():
        name, sep, value = line.rpartition(":")
        if sep and value.strip().isdigit():
            counts[name.strip()] = int(value)
    return counts


def nothing_to_do(result: subprocess.CompletedProcess[str]) -> bool:
    """A run that had nothing to do says so in one line, not with a table of zeros."""
    return result.stdout.startswith("nothing to re-extract: ") and result.stdout.count("\n") == 1


def database(data: Path) -> Engine:
    return open_database(f"sqlite:///{data / 'newsarchive.db'}")


def extractions(engine: Engine, digest: str) -> dict[int, tuple[int | None, str | None, datetime]]:
    """Capture id → (version id, reason, extracted at) by this extractor and options."""
    x = m.Extraction
    with engine.connect() as conn:
        rows = conn.execute(
            select(x.capture_id, x.version_id, x.reason, x.extracted_at).where(
                x.extractor == extractor_name(), x.options_digest == digest
            )
        )
        return {capture_id: (version, reason, at) for capture_id, version, reason, at in rows}


def versions(engine: Engine) -> list[tuple[str, int, str, str, int | None]]:
    """(URL, number, text hash, extractor, capture id) of every version."""
    v = m.ArticleVersion
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, v.version, v.text_sha256, v.extractor, v.capture_id)
            .join(m.Url, m.Url.id == v.url_id)
            .order_by(m.Url.url, v.version)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_same_extractor_gives_every_capture_the_crawls_text(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    data = copy(demo_crawl, tmp_path)
    engine = database(data)
    digest = ExtractOptions().digest
    crawled = extractions(engine, digest)
    assert len(crawled) > 50
    before = versions(engine)
    with engine.connect() as conn:
        gzipped = conn.execute(
            select(m.Capture.warc_filename, m.Capture.warc_offset).where(
                m.Capture.id.in_([c for c, (v, _, _) in crawled.items() if v is not None])
            )
        ).all()
    # the archive keeps the bodies gzipped as served: re-extraction decodes them as the crawl did
    assert any(
        read_record(data / "warc" / name, offset).http_header("Content-Encoding") == "gzip"
        for name, offset in gzipped
    )

    nothing = reextract(data)
    assert nothing.returncode == 0, nothing.stderr
    assert nothing_to_do(nothing), nothing.stdout  # the crawl recorded every page it extracted
    assert "--all extracts them again" in nothing.stdout

    again = reextract(data, "--all")
    assert again.returncode == 0, again.stderr
    counts = summary(again)
    assert counts["captures read"] == counts["re-extracted"] == len(crawled)
    assert (counts["new versions"], counts["errors"]) == (0, 0)
    redone = extractions(engine, digest)
    assert set(redone) == set(crawled)
    for capture_id, (version, reason, extracted_at) in redone.items():
        # the same version (so the same text) or the same reason, from a new extraction
        assert (version, reason) == crawled[capture_id][:2], capture_id
        assert extracted_at > crawled[capture_id][2]
    assert versions(engine) == before
    engine.dispose()


def expected_changes(engine: Engine, data: Path, options: ExtractOptions) -> set[str]:
    """The articles some capture of which gives a text no version of theirs has, with `options`:
    worked out from the archive without the re-extraction code."""
    x, v = m.Extraction, m.ArticleVersion
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, m.Capture.warc_filename, m.Capture.warc_offset)
            .select_from(x)
            .join(v, v.id == x.version_id)
            .join(m.Url, m.Url.id == v.url_id)
            .join(m.Capture, m.Capture.id == x.capture_id)
        ).all()
        known: dict[str, set[str]] = defaultdict(set)
        for url, sha in conn.execute(
            select(m.Url.url, v.text_sha256).join(m.Url, m.Url.id == v.url_id)
        ):
            known[url].add(sha)
    changed = set()
    for url, name, offset in rows:
        article = extract(page_from_record(read_record(data / "warc" / name, offset)), options)
        if article.article is not None and article.article.text_sha256 not in known[url]:
            changed.add(url)
    return changed


def test_other_options_add_versions_only_where_the_text_changed(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    data = copy(demo_crawl, tmp_path)
    engine = database(data)
    before = versions(engine)
    expected = expected_changes(engine, data, COMMENTS)
    assert expected, "some simulated articles have readers' comments"

    result = reextract(data, "-s", "EXTRACT_INCLUDE_COMMENTS=True")
    assert result.returncode == 0, result.stderr
    assert f"options {COMMENTS.digest}" in result.stderr
    after = versions(engine)
    assert set(before) <= set(after)
    added = [row for row in after if row not in before]
    assert {url for url, *_ in added} == expected
    assert summary(result)["new versions"] == len(added)
    assert all(extractor == extractor_name() for _, _, _, extractor, _ in added)
    recorded = extractions(engine, COMMENTS.digest)
    assert {capture for *_, capture in added} <= set(recorded)

    rerun = reextract(data, "--comments")  # the same options given as a flag: nothing to do
    assert rerun.returncode == 0, rerun.stderr
    assert nothing_to_do(rerun), rerun.stdout
    forced = reextract(data, "--comments", "--all")
    assert summary(forced)["new versions"] == 0
    assert versions(engine) == after
    engine.dispose()


def test_a_stopped_run_resumed_ends_as_one_that_was_not(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    whole = copy(demo_crawl, tmp_path / "whole")
    parts = copy(demo_crawl, tmp_path / "parts")
    assert reextract(whole, "--comments").returncode == 0

    first = reextract(parts, "--comments", "--limit", "10", "--batch-size", "4")
    assert first.returncode == 0, first.stderr
    read = summary(first)["captures read"]
    assert 10 <= read < summary(reextract(whole, "--comments", "--all"))["captures read"]
    rest = reextract(parts, "--comments", "--batch-size", "7")
    assert rest.returncode == 0, rest.stderr
    assert summary(rest)["captures read"] > 0

    engines = database(whole), database(parts)
    mapped = []
    for engine in engines:
        x, v = m.Extraction, m.ArticleVersion
        with engine.connect() as conn:
            mapped.append(
                sorted(
                    conn.execute(
                        select(
                            x.capture_id, x.extractor, x.options_digest, v.version, x.reason
                        ).outerjoin(v, v.id == x.version_id)
                    ).all()
                )
            )
    assert versions(engines[0]) == versions(engines[1])
    assert mapped[0] == mapped[1]
    for engine in engines:
        engine.dispose()


def test_a_missing_warc_file_is_reported_and_the_run_goes_on(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    data = copy(demo_crawl, tmp_path)
    (warc,) = sorted((data / "warc").glob("*.warc.gz"))
    warc.rename(tmp_path / warc.name)
    result = reextract(data, "--all")
    assert result.returncode == 1
    assert f"missing WARC file {warc}" in result.stderr
    counts = summary(result)
    assert counts["errors"] == counts["captures read"] > 0
    assert counts["re-extracted"] == 0

    # a capture may name its WARC file by an absolute path (ingested where it lies)
    engine = database(data)
    with engine.begin() as conn:
        conn.execute(m.Capture.__table__.update().values(warc_filename=str(tmp_path / warc.name)))
    engine.dispose()
    moved = reextract(data, "--all")
    assert moved.returncode == 0, moved.stderr
    assert summary(moved)["re-extracted"] == counts["captures read"]


def test_story_and_since_choose_the_captures(demo_crawl: CrawlRun, tmp_path: Path) -> None:
    data = copy(demo_crawl, tmp_path)
    unknown = reextract(data, "--story", "no-such-story")
    assert unknown.returncode == 2
    assert "no story named 'no-such-story'" in unknown.stderr
    story = parse_story(demo_crawl.story.read_text())
    some = reextract(data, "--all", "--story", story.name)
    assert summary(some)["captures read"] > 0
    later = reextract(data, "--all", "--since", "2999-01-01")
    assert nothing_to_do(later), later.stdout
    assert "no capture was chosen" in later.stdout
