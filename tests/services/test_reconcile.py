"""Reconciling the database with recovered WARC files, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from crawler.extraction.options import ExtractOptions
from crawler.services.recover import Reconciler, recover, unsettled
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.repository import Repository
from storage.db.warcfiles import owners, settle
from storage.recover import files_to_reconcile, recover_open_files
from storage.warc import OPEN_SUFFIX
from tests.storage.archive import story, write_archive


def test_captures_past_the_end_of_a_cut_file_are_removed_and_their_article_is_due(
    tmp_path: Path, db_url: str
) -> None:
    directory = tmp_path / "warc"
    written = write_archive(directory, pages=3)
    engine = open_database(db_url)
    try:
        Repository(engine).write_batch(written.captures[:2], [], None)  # the rest never stored
        reconciler = Reconciler(engine, directory, ExtractOptions(), story())
        done = reconciler.reconcile([written.path.name])
        assert (done.captures_added, done.pages_added) == (2, 3)
        # The database got the last page, but the disk lost it (a power cut: the file was
        # not synced): the file is cut inside that page's response record.
        last = written.captures[-1]
        data = written.path.read_bytes()
        written.path.unlink()
        cut = written.path.with_name(written.path.name + OPEN_SUFFIX)
        cut.write_bytes(data[: last.warc_offset + 100])
        recovered = recover_open_files(directory)
        assert [(f.status, f.records) for f in recovered] == [("recovered", 7)]
        before = datetime.now(UTC)
        done = reconciler.reconcile(files_to_reconcile(directory, recovered))
        assert done.captures_dropped == [(written.path.name, last.warc_offset, last.warc_record_id)]
        assert (done.captures_added, done.pages_added) == (0, 0)
        with engine.connect() as conn:
            stored = conn.execute(select(m.Capture.warc_record_id)).scalars().all()
            versions = conn.execute(
                select(m.ArticleVersion.version, m.ArticleVersion.capture_id).order_by(
                    m.ArticleVersion.version
                )
            ).all()
            due = conn.execute(select(m.ArticleSchedule.next_due_at)).scalar_one()
        assert last.warc_record_id not in stored and len(stored) == 3
        assert versions[-1].version == 3 and versions[-1].capture_id is None  # text kept
        assert due is not None and due >= before.replace(microsecond=0)
    finally:
        engine.dispose()


def test_reconciling_twice_changes_nothing(tmp_path: Path, db_url: str) -> None:
    written = write_archive(tmp_path / "warc", pages=2)
    engine = open_database(db_url)
    try:
        reconciler = Reconciler(engine, tmp_path / "warc", ExtractOptions(), story())
        first = reconciler.reconcile([written.path.name])
        assert (first.captures_added, first.pages_added) == (3, 2)
        assert not reconciler.reconcile([written.path.name])
    finally:
        engine.dispose()


def test_a_crawls_start_reconciles_every_unsettled_file_once(tmp_path: Path, db_url: str) -> None:
    """Closed files whose records have no captures (a recovery killed after the rename, batches
    lost to a full disk) are reconciled by the next start, and settled: the start after that
    reads no file."""
    directory = tmp_path / "warc"
    first = write_archive(directory, pages=2)
    second = write_archive(directory, pages=3)
    engine = open_database(db_url)
    try:
        repo = Repository(engine)
        repo.write_batch(second.captures, [], None, data_dir="d1")  # a crawl that got it all in
        settle(engine, "d1", [second.path.name])
        assert unsettled(engine, "d1", directory) == [first.path.name]
        done = recover(directory, engine, "d1", ExtractOptions(), story())
        assert done.reconciled == [first.path.name]
        assert (done.done.captures_added, done.done.pages_added) == (3, 2)
        assert unsettled(engine, "d1", directory) == []
        assert recover(directory, engine, "d1", ExtractOptions(), story()).reconciled == []
        # another data directory with files of these names has its own to reconcile
        assert unsettled(engine, "d2", directory) == sorted([first.path.name, second.path.name])
        assert owners(engine, "d2").whose(first.path.name) == "others"
    finally:
        engine.dispose()
