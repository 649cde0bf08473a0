"""Several crawler processes writing one database at once, on SQLite and PostgreSQL.

Each worker is an OS process of its own (spawned, so nothing is shared but the database) and
writes two batches per round: revisits alone, then captures, pages and revisits. A barrier starts
the workers' round together, so that they race on the same URLs, captures, article versions and
revisit schedules. Afterwards the database must hold each URL and capture once, one version per
change of text numbered 1..n, and schedules that counted every fetch: what one writer would have
stored.
"""

from __future__ import annotations

import multiprocessing
import random
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.synchronize import Barrier
from queue import Queue
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from crawler.core.capture import Capture
from storage.db import models as m
from storage.db.engine import open_database, schema_state
from storage.db.records import PageRecord, RevisitRecord
from storage.db.repository import Repository

from .factories import STORY, T0, capture, page, revisit_capture, unchanged

WORKERS = 3
ROUNDS = 20
OWN = 6
"""Articles each worker finds with a text of its own in every round: WORKERS versions a round."""
SHARED = 6
"""Articles every worker finds with the same text in a round: one version a round."""
REVISITED = 4
"""Articles only revisited (304), through the URL that redirected to them, half of them in
batches with no capture: each revisit moves the schedule on."""
TIMEOUT = 120

BASE = "http://news.example:8080/"
SEEN_BEFORE = T0 - timedelta(days=1)


def own_url(n: int) -> str:
    return f"{BASE}own-{n}"


def shared_url(n: int) -> str:
    return f"{BASE}shared-{n}"


def revisited_url(n: int) -> str:
    return f"{BASE}revisited-{n}"


def redirect_url(n: int) -> str:
    """A URL that redirected to a revisited article: revisits request it, so the article's own
    URL is in none of the workers' batches."""
    return f"{BASE}r/{n}"


@dataclass
class Round:
    """What one worker stores in one round: a batch, then revisits in a batch of their own."""

    captures: list[Capture]
    pages: list[PageRecord]
    revisits: list[RevisitRecord]
    lone_revisits: list[RevisitRecord]
    """Revisits of the odd revisited articles, stored as if WARC writing were off: a batch with
    no capture, so that no URL of the batch is shared with another batch."""


def batch(worker: int, round_: int) -> Round:
    """What worker `worker` stores in round `round_`: all workers fetch at the same time, with
    the same captures for the shared articles (the same WARC records, as if read twice)."""
    when = T0 + timedelta(hours=round_)
    captures: list[Capture] = []
    pages: list[PageRecord] = []
    for n in range(OWN):
        record = f"own-{n}-{round_}-{worker}"
        captures.append(capture(own_url(n), record, fetched_at=when))
        text = f"Own article {n}, round {round_}, as worker {worker} saw it."
        pages.append(page(own_url(n), record, text=text, fetched_at=when))
    for n in range(SHARED):
        record = f"shared-{n}-{round_}"
        captures.append(capture(shared_url(n), record, fetched_at=when))
        text = f"Shared article {n}, round {round_}."
        pages.append(page(shared_url(n), record, text=text, fetched_at=when))
    revisits, lone = [], []
    for n in range(REVISITED):
        if n % 2:
            lone.append(unchanged(redirect_url(n), fetched_at=when))
            continue
        record = f"revisited-{n}-{round_}-{worker}"
        captures.append(
            revisit_capture(redirect_url(n), record, f"revisited-{n}-seed", fetched_at=when)
        )
        revisits.append(unchanged(redirect_url(n), fetched_at=when))
    # each worker meets the same things in its own order
    shuffle = random.Random(f"{worker} {round_}").shuffle
    for items in (captures, pages, revisits, lone):
        shuffle(items)
    return Round(captures, pages, revisits, lone)


def write_rounds(db_url: str, worker: int, barrier: Barrier, results: Queue[Any]) -> None:
    """A worker process: record the story, then write its batches of each round in step with
    the others. Reports its errors rather than raising them, so that the others are not left
    waiting at the barrier."""
    outcome: dict[str, Any] = {"worker": worker, "new": 0, "unchanged": 0, "errors": []}
    try:
        engine = open_database(db_url, create=False)
        repo = Repository(engine)
        barrier.wait(TIMEOUT)
        story_id = repo.ensure_story(STORY)
        for round_ in range(ROUNDS):
            barrier.wait(TIMEOUT)
            todo = batch(worker, round_)
            try:
                repo.write_batch([], [], story_id, revisits=todo.lone_revisits)
                result = repo.write_batch(
                    todo.captures, todo.pages, story_id, revisits=todo.revisits
                )
            except Exception as exc:
                outcome["errors"].append(f"round {round_}: {type(exc).__name__}: {exc}"[:400])
                continue
            outcome["new"] += result.new_versions
            outcome["unchanged"] += result.unchanged_versions
        engine.dispose()
    except Exception:
        barrier.abort()
        outcome["errors"].append(traceback.format_exc())
    results.put(outcome)


def open_concurrently(db_url: str, worker: int, barrier: Barrier, results: Queue[Any]) -> None:
    """A worker process: open (and so create) the database at the same moment as the others."""
    try:
        barrier.wait(TIMEOUT)
        open_database(db_url).dispose()
        results.put((worker, None))
    except Exception:
        results.put((worker, traceback.format_exc()))


def run_workers(target: Any, db_url: str) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(db_url, n, barrier, results)) for n in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=TIMEOUT * 2) for _ in processes]
    finally:
        for process in processes:
            process.join(TIMEOUT)
            if process.is_alive():
                process.kill()
    return outcomes


def seed(engine: Engine) -> None:
    """The revisited articles, stored the day before with one version each, reached through a
    redirect."""
    repo = Repository(engine)
    pages = [
        page(
            redirect_url(n),
            f"revisited-{n}-seed",
            final_url=revisited_url(n),
            text=f"Revisited {n}.",
            fetched_at=SEEN_BEFORE,
        )
        for n in range(REVISITED)
    ]
    captures = [
        capture(revisited_url(n), f"revisited-{n}-seed", fetched_at=SEEN_BEFORE)
        for n in range(REVISITED)
    ]
    repo.write_batch(captures, pages, repo.ensure_story(STORY))


def versions_by_url(engine: Engine) -> dict[str, list[tuple[int, str]]]:
    """url -> [(version, text)] in version order."""
    v = m.ArticleVersion
    stmt = select(m.Url.url, v.version, v.text).join(m.Url, m.Url.id == v.url_id)
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with engine.connect() as conn:
        for url, number, text in conn.execute(stmt.order_by(m.Url.url, v.version)):
            found[url].append((number, text))
    return found


def count(engine: Engine, model: type[m.Base]) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.timeout(600)
def test_concurrent_writers_neither_duplicate_nor_lose_anything(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        seed(engine)
        outcomes = run_workers(write_rounds, db_url)
        errors = [error for outcome in outcomes for error in outcome["errors"]]
        assert errors == []

        # every URL and every capture once
        urls = [own_url(n) for n in range(OWN)] + [shared_url(n) for n in range(SHARED)]
        urls += [revisited_url(n) for n in range(REVISITED)]
        urls += [redirect_url(n) for n in range(REVISITED)]
        with engine.connect() as conn:
            stored = Counter(conn.execute(select(m.Url.url)).scalars())
            records = Counter(conn.execute(select(m.Capture.warc_record_id)).scalars())
        assert stored == Counter(urls)
        expected_records = {
            c.warc_record_id
            for worker in range(WORKERS)
            for round_ in range(ROUNDS)
            for c in batch(worker, round_).captures
        }
        expected_records |= {f"<urn:uuid:revisited-{n}-seed>" for n in range(REVISITED)}
        assert records == Counter(expected_records)

        # one version per distinct text, numbered 1..n, and the workers' counts agree
        versions = versions_by_url(engine)
        for n in range(OWN):
            rows = versions[own_url(n)]
            assert [number for number, _ in rows] == list(range(1, WORKERS * ROUNDS + 1))
            texts = [text for _, text in rows]
            assert sorted(texts) == sorted(
                f"Own article {n}, round {r}, as worker {w} saw it."
                for r in range(ROUNDS)
                for w in range(WORKERS)
            )
        for n in range(SHARED):
            assert versions[shared_url(n)] == [
                (r + 1, f"Shared article {n}, round {r}.") for r in range(ROUNDS)
            ]
        for n in range(REVISITED):
            assert versions[revisited_url(n)] == [(1, f"Revisited {n}.")]
        new = sum(outcome["new"] for outcome in outcomes)
        assert (
            new == (OWN * WORKERS + SHARED) * ROUNDS == count(engine, m.ArticleVersion) - REVISITED
        )
        assert sum(o["unchanged"] for o in outcomes) == SHARED * (WORKERS - 1) * ROUNDS

        # every fetch moved the schedule on: none lost to a concurrent update
        last = T0 + timedelta(hours=ROUNDS - 1)
        schedule = m.ArticleSchedule
        with engine.connect() as conn:
            rows = conn.execute(
                select(m.Url.url, schedule.last_fetched, schedule.unchanged_count).join(
                    m.Url, m.Url.id == schedule.url_id
                )
            ).all()
        assert {url: (fetched, unchanged) for url, fetched, unchanged in rows} == {
            **{own_url(n): (last, 0) for n in range(OWN)},
            **{shared_url(n): (last, WORKERS - 1) for n in range(SHARED)},
            **{revisited_url(n): (last, WORKERS * ROUNDS) for n in range(REVISITED)},
        }
        assert count(engine, m.StoryArticle) == OWN + SHARED + REVISITED
    finally:
        engine.dispose()


def test_processes_creating_one_empty_database_together_all_open_it(db_url: str) -> None:
    outcomes = sorted(run_workers(open_concurrently, db_url))
    assert outcomes == [(n, None) for n in range(WORKERS)]
    engine = open_database(db_url, create=False)
    try:
        state = schema_state(engine)
        assert state.at_head and len(state.current) == 1
    finally:
        engine.dispose()
