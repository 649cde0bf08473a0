"""Re-extraction: the crawl's `extract()` run again over archived responses, with no network.

The archive outlives the extractor. When trafilatura or our rules improve, or other extraction
options are wanted, every stored page is read back from its WARC record and put through the one
door (`crawler.services.door.process`, which reads, decodes and extracts it as the crawl did) in a
pool of processes, and stored in batches of whole articles
(`storage.db.reextract`): a new version only where the text differs from every version there is.
A batch is one transaction, so a run that is stopped goes on from where it was when started again.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from crawler.core.access import OPEN, AccessCheck
from crawler.core.article import Article, Extraction, Relevance
from crawler.core.story import Story, StoryError, parse_story
from crawler.extraction.extract import extractor_name, not_an_article
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import extraction_pool
from crawler.extraction.relevance import score
from crawler.services.door import process
from crawler.services.versions import decider
from storage.db.reextract import (
    CaptureToExtract,
    JudgingStory,
    ReextractCounts,
    Reextracted,
    StoryDefinition,
    captures_to_extract,
    count_captures,
    story_definitions,
)
from storage.db.repository import Repository
from storage.db.versions import ExtractorKey
from storage.warc import OPEN_SUFFIX, read_record, resolve_warc_path

TASK_SIZE = 8
"""Captures per task sent to a worker: enough to make the round trip worth it, few enough to keep
every worker busy at the end of a batch."""


@dataclass(frozen=True, slots=True)
class Job:
    """One capture for a worker: where its record is, and its flags."""

    capture_id: int
    path: str
    offset: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Done:
    """What a worker made of a capture: an extraction (whose reason says why when the record
    could not be read), or None when the door says it is not a page."""

    capture_id: int
    extraction: Extraction | None
    error: str | None = None
    access: AccessCheck = OPEN
    """What the page showed, as the door judged it from the page alone."""


def extract_jobs(jobs: Sequence[Job], options: ExtractOptions) -> list[Done]:
    """In a worker: read each record and put it through the door, as the crawl does a page."""
    done = []
    for job in jobs:
        try:
            record = read_record(job.path, job.offset, verify=False)
        except Exception as exc:  # a damaged record: stored as a failed extraction, counted
            failed = not_an_article(f"error: {type(exc).__name__}: {exc}", options)
            done.append(Done(job.capture_id, failed, failed.reason))
            continue
        processed = process(record, options, flags=job.flags)
        extraction = processed.extraction
        error = extraction.reason if extraction is not None and _failed(extraction) else None
        done.append(Done(job.capture_id, extraction, error, processed.access))
    return done


def _failed(extraction: Extraction) -> bool:
    return extraction.article is None and (extraction.reason or "").startswith("error")


@dataclass(slots=True)
class Summary:
    """What a run did, for the report at its end."""

    total: int = 0
    """Captures selected when the run started."""
    read: int = 0
    """Captures taken in hand (extracted, or failed to)."""
    counts: ReextractCounts = field(default_factory=ReextractCounts)
    errors: int = 0
    """Captures whose record could not be read (missing file, damaged record) or whose body did
    not decode."""
    not_pages: int = 0
    """Captures the door found no page in (sniffed not to be HTML, not http(s))."""
    missing_files: dict[str, int] = field(default_factory=dict)
    """WARC files not found, with how many captures each would have given."""
    unjudged_stories: list[str] = field(default_factory=list)
    """Stories stored without their definition: their judgements are not renewed."""

    @property
    def reextracted(self) -> int:
        return self.counts.articles + self.counts.not_articles + self.counts.walled


class Progress:
    """A line on standard error every `interval` seconds: done/total, rate and time left."""

    def __init__(self, total: int, interval: float, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.interval = interval
        self.stream = stream
        self._started = self._last = time.monotonic()

    def line(self, done: int) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = done / elapsed
        left = (self.total - done) / rate if rate > 0 else None
        eta = "?" if left is None else str(timedelta(seconds=round(left)))
        share = 100 * done / self.total if self.total else 100.0
        return f"{done}/{self.total} captures ({share:.0f}%), {rate:.1f}/s, ETA {eta}"

    def update(self, done: int, summary: Summary) -> None:
        now = time.monotonic()
        if self.interval > 0 and now - self._last >= self.interval:
            self._last = now
            self.stream.write(
                f"newsarchive reextract: {self.line(done)}; new versions "
                f"{summary.counts.new_versions}, errors {summary.errors}\n"
            )
            self.stream.flush()


def judging_stories(definitions: Iterable[StoryDefinition], summary: Summary) -> list[JudgingStory]:
    """The stories whose judgements can be renewed: those stored with their definition."""
    stories = []
    for definition in definitions:
        story = _parsed(definition)
        if story is None:
            summary.unjudged_stories.append(definition.name)
            continue
        scorer: Callable[[Article], Relevance] = partial(score, story=story)
        stories.append(JudgingStory(definition.id, definition.publisher_ids, scorer))
    return stories


def _parsed(definition: StoryDefinition) -> Story | None:
    if definition.definition is None:
        return None
    try:
        return parse_story(definition.definition, f"story {definition.name!r} in the database")
    except StoryError:
        return None


def reextract(
    engine: Engine,
    warc_dir: Path,
    options: ExtractOptions,
    *,
    story: str | None = None,
    since: datetime | None = None,
    workers: int = 0,
    force: bool = False,
    batch_size: int = 500,
    limit: int | None = None,
    progress_interval: float = 10.0,
    stop: Callable[[], bool] = lambda: False,
) -> Summary:
    """Extract the selected captures again with `options` and store what changed.

    `force` extracts captures that this extractor and these options extracted already, too.
    `limit` stops after the batch in which that many captures were taken (batches hold whole
    articles). Once `stop()` is true (a Ctrl-C) no batch is started: the one being extracted is
    still written. An unknown `story` raises `UnknownStory`.
    """
    summary = Summary()
    definitions = story_definitions(engine, story)
    stories = judging_stories(definitions, summary)
    publishers = definitions[0].publisher_ids if story is not None else None
    key = None if force else ExtractorKey(extractor_name(), options.digest)
    summary.total = count_captures(engine, key, publisher_ids=publishers, since=since)
    if limit is not None:
        summary.total = min(summary.total, limit)
    repo = Repository(engine)
    bar = Progress(summary.total, progress_interval)
    captures = captures_to_extract(engine, key, publisher_ids=publishers, since=since)
    with extraction_pool(workers or os.cpu_count() or 1) as pool:
        running: tuple[list[CaptureToExtract], list[Future[list[Done]]], list[Done]] | None = None
        for batch in _batches(captures, batch_size, limit):
            if stop():
                break
            submitted = _submit(pool, batch, warc_dir, options, summary)
            if running is not None:
                _write(repo, *running, stories, summary)
                bar.update(summary.read, summary)
            running = submitted
        if running is not None:
            _write(repo, *running, stories, summary)
    return summary


def _batches(
    captures: Iterator[CaptureToExtract], size: int, limit: int | None
) -> Iterator[list[CaptureToExtract]]:
    """Batches of at least `size` captures (the last may have fewer) that hold whole articles."""
    batch: list[CaptureToExtract] = []
    for taken, capture in enumerate(captures):
        if batch and capture.article_key != batch[-1].article_key:
            if limit is not None and taken >= limit:
                break
            if len(batch) >= size:
                yield batch
                batch = []
        batch.append(capture)
    if batch:
        yield batch


def _submit(
    pool: ProcessPoolExecutor,
    batch: list[CaptureToExtract],
    warc_dir: Path,
    options: ExtractOptions,
    summary: Summary,
) -> tuple[list[CaptureToExtract], list[Future[list[Done]]], list[Done]]:
    """Send a batch's captures to the workers; those in missing files fail here at once."""
    jobs: list[Job] = []
    failed: list[Done] = []
    exists: dict[str, bool] = {}
    for capture in batch:
        path = resolve_warc_path(warc_dir, capture.warc_filename)
        name = str(path)
        if name not in exists:
            exists[name] = path.exists() or path.with_name(path.name + OPEN_SUFFIX).exists()
        if exists[name]:
            jobs.append(Job(capture.id, name, capture.warc_offset, capture.flags))
        else:
            if name not in summary.missing_files:
                sys.stderr.write(f"newsarchive reextract: missing WARC file {name}\n")
            summary.missing_files[name] = summary.missing_files.get(name, 0) + 1
            failed.append(Done(capture.id, None, f"missing WARC file {name}"))
    futures = [
        pool.submit(extract_jobs, jobs[i : i + TASK_SIZE], options)
        for i in range(0, len(jobs), TASK_SIZE)
    ]
    return batch, futures, failed


def _write(
    repo: Repository,
    batch: list[CaptureToExtract],
    futures: list[Future[list[Done]]],
    failed: list[Done],
    stories: Sequence[JudgingStory],
    summary: Summary,
) -> None:
    by_id = {c.id: c for c in batch}
    results: list[Reextracted] = []
    for done in [*failed, *(d for f in futures for d in f.result())]:
        capture = by_id[done.capture_id]
        if done.error is not None:
            summary.errors += 1
            if not done.error.startswith("missing WARC file"):
                sys.stderr.write(
                    f"newsarchive reextract: capture {capture.id} ({capture.url}): {done.error}\n"
                )
        if done.extraction is None:
            if done.error is None:
                summary.not_pages += 1
            continue
        results.append(
            Reextracted(
                capture.id,
                capture.url,
                capture.publisher_host,
                capture.fetched_at,
                done.extraction,
                done.access,
            )
        )
    summary.counts.add(repo.write_reextracted(results, stories, decider()))
    summary.read += len(batch)
