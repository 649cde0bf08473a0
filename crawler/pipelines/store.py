"""The store pipeline: during a crawl, the only writer to the database.

Captures (announced by the WARC extension), pages and revisits (items), URL outcomes (handed
over by the outcomes extension) and published forms of URLs are buffered on the reactor thread
and written in batches in the database thread of the crawl's database owner
(`crawler.extensions.database`), so the reactor never waits for the database. One thread also
keeps the batches in order (a page's capture is stored in the same batch or before), and is the
only writer while the crawl runs, which SQLite needs: a second writer's commit makes a batch's
transaction fail.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import AsyncioLoopingCall, is_asyncio_available
from sqlalchemy import make_url

from crawler import settings as defaults
from crawler.clustering.signatures import ClusterOptions, cluster_options
from crawler.core import meta
from crawler.core.capture import Capture
from crawler.core.datadir import settings_data_dir_id
from crawler.core.items import PageItem, RevisitItem
from crawler.core.outcomes import UrlOutcome
from crawler.core.revisit import RevisitPolicy
from crawler.core.story import Story
from crawler.core.urls import PublishedForm, published_form
from crawler.extensions.database import Database, database_of
from crawler.services import door
from crawler.services.clusters import ClusterUpdate, update_clusters
from crawler.services.versions import story_decider
from crawler.signals import capture_archived, outcomes_settled, stored_through
from storage.db.clusters import signed_with_other_params
from storage.db.records import BatchResult, PageRecord, RevisitRecord
from storage.db.repository import DEFAULT_POLICY, Repository
from storage.db.warcfiles import settle

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)


def page_record(item: PageItem) -> PageRecord | None:
    """What the database keeps of a page item (not its body: that is in the WARC file), as the
    door says; None for an item the door did not make a page of."""
    if item.processed is None or item.processed.extraction is None:
        return None
    return door.page_record(
        item.processed,
        publisher=item.source,
        warc_record_id=item.warc_record_id,
        discovered_via=item.discovered_via,
    )


def revisit_record(item: RevisitItem) -> RevisitRecord:
    return RevisitRecord(
        url=item.url, fetched_at=item.fetched_at, status=item.status, outcome=item.outcome
    )


@dataclass(slots=True)
class _Batch:
    captures: list[Capture] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)
    revisits: list[RevisitRecord] = field(default_factory=list)
    outcomes: list[UrlOutcome] = field(default_factory=list)
    forms: list[PublishedForm] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.captures)
            + len(self.pages)
            + len(self.revisits)
            + len(self.outcomes)
            + len(self.forms)
        )


@dataclass(frozen=True, slots=True)
class _Outcome:
    result: BatchResult | None
    """None when every attempt failed."""
    errors: Sequence[Exception]
    clusters: ClusterUpdate | Exception | None = None
    """The batch's cluster update, or why it failed; None when there was none."""


class StorePipeline:
    """Writes captures, pages and revisits to the database in batches.

    A batch is written once `DB_BATCH_SIZE` rows are buffered, every `DB_FLUSH_INTERVAL` seconds
    (0: never on a timer), and when the spider closes, which waits for every write to finish.
    A failed batch is tried again once; if that fails too, each URL it held is logged as not
    stored. After each batch, and on the timer when nothing is waiting, the `stored_through`
    signal says up to when everything handed over is done with. After each batch, the
    syndication clusters of its articles are brought up to date (`CLUSTER_*` settings) with the
    signatures the extraction workers made, so nothing is left for the end of the crawl; only
    when the stored signatures were made with other options, or an update failed, is the whole
    update run once every batch is written.

    The WARC files the captures point into are registered as the data directory's own
    (`NEWSARCHIVE_DATA_DIR`'s id), and, when the crawl closes with no batch lost, settled: the
    next crawl reconciles only files that are not (`crawler.services.recover.recover`).
    """

    attempts = 2
    retry_delay = 1.0
    """Seconds before the second attempt: long enough for a dropped connection to come back."""

    def __init__(
        self,
        crawler: Crawler,
        batch_size: int,
        flush_interval: float,
        clusters: ClusterOptions | None = None,
        data_dir: str | None = None,
    ) -> None:
        self.crawler = crawler
        self.data_dir = data_dir
        self._files: set[str] = set()
        """The WARC files this crawl's captures point into."""
        self._lost = False
        """Whether a batch could not be written."""
        self.clusters = clusters
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self._batch = _Batch()
        self._writes: set[asyncio.Task[None]] = set()
        self._database: Database | None = None
        """Set while the pipeline is open: whose thread writes the batches."""
        self._story_id: int | None = None
        self._policy: RevisitPolicy = DEFAULT_POLICY
        self._timer: AsyncioLoopingCall | None = None
        self._run_id: int | None = None
        self._decide = story_decider(None)
        self._clusters_at_close = True
        """Whether the clusters are brought up to date at the end rather than batch by batch."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("DB_ENABLED", defaults.DB_ENABLED):
            raise NotConfigured("DB_ENABLED is off")
        pipeline = cls(
            crawler,
            settings.getint("DB_BATCH_SIZE", defaults.DB_BATCH_SIZE),
            settings.getfloat("DB_FLUSH_INTERVAL", defaults.DB_FLUSH_INTERVAL),
            cluster_options(settings),
            settings_data_dir_id(settings),
        )
        crawler.signals.connect(pipeline.capture_archived, signal=capture_archived)
        crawler.signals.connect(pipeline.outcomes_settled, signal=outcomes_settled)
        crawler.signals.connect(pipeline.request_met, signal=signals.request_scheduled)
        crawler.signals.connect(pipeline.request_met, signal=signals.request_dropped)
        return pipeline

    async def open_spider(self) -> None:
        """Open the database (creating an empty one) and record the story and its publishers, in
        the database thread like every other database call."""
        if not is_asyncio_available():
            raise RuntimeError(
                "StorePipeline needs asyncio: set TWISTED_REACTOR to "
                "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
            )
        story: Story | None = getattr(self.crawler.spider, "story", None)
        if story is not None:
            self._policy = story.revisit
        self._decide = story_decider(story)
        database = database_of(self.crawler)
        self._story_id = await database.run(self._open, story)
        if self.clusters is not None:
            self._clusters_at_close = await database.run(self._other_params, self.clusters.params)
        self._database = database
        logger.info("Storing in %s", make_url(database.url).render_as_string(hide_password=True))
        if self.flush_interval > 0:
            self._timer = AsyncioLoopingCall(self._flush)
            self._timer.start(self.flush_interval, now=False)

    def capture_archived(self, capture: Capture) -> None:
        self._files.add(capture.warc_filename)
        self._batch.captures.append(capture)
        self._flush_if_full()

    def request_met(self, request: Request) -> None:
        """A request discovery made, scheduled or refused as a duplicate: the URL's published
        form, when it is not the normalised one, is recorded as an alias."""
        if request.meta.get(meta.IDENTITY) is None:
            return  # not discovery's (robots.txt)
        form = published_form(request.url, datetime.now(UTC))
        if form is not None:
            self._batch.forms.append(form)
            self._flush_if_full()

    def outcomes_settled(self, run_id: int, outcomes: list[UrlOutcome]) -> bool:
        """Take URL outcomes into the batches while the writer runs; False tells the outcomes
        extension to write them itself."""
        if self._database is None or (self._run_id is not None and run_id != self._run_id):
            return False
        self._run_id = run_id
        self._batch.outcomes.extend(outcomes)
        self._flush_if_full()
        return True

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            record = page_record(item)
            if record is not None:
                self._batch.pages.append(record)
                self._flush_if_full()
        elif isinstance(item, RevisitItem):
            self._batch.revisits.append(revisit_record(item))
            self._flush_if_full()
        return item

    async def close_spider(self) -> None:
        """Write what is buffered and wait until every batch is in the database."""
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._flush()
        if self._writes:
            await asyncio.gather(*self._writes)
        database, self._database = self._database, None
        if database is not None:
            await self._settle(database)
            if self.clusters is not None and self._clusters_at_close:
                await self._update_clusters(database, self.clusters)

    async def _settle(self, database: Database) -> None:
        """Mark this crawl's files as caught up with, unless a batch was lost: the next crawl
        then reconciles them (a failure here only leaves that to it)."""
        if self.data_dir is None or self._lost or not self._files:
            return
        try:
            await database.run(settle, self.data_dir, sorted(self._files))
        except Exception as exc:
            logger.warning(
                "Could not mark the WARC files as stored (%s): the next crawl checks them", exc
            )

    async def _update_clusters(self, database: Database, options: ClusterOptions) -> None:
        """Cluster what this crawl stored; a failure is logged and counted, the data stays."""
        stats = self.crawler.stats
        assert stats is not None
        try:
            update = await database.run(update_clusters, options)
        except Exception as exc:
            stats.inc_value("clusters/errors")
            logger.error("Updating the syndication clusters failed: %s", exc, exc_info=exc)
            return
        stats.inc_value("clusters/signed", update.signed)
        stats.inc_value("clusters/reassigned", update.changed)

    @staticmethod
    def _other_params(engine: Engine, params: str) -> bool:
        with engine.connect() as conn:
            return signed_with_other_params(conn, params)

    @staticmethod
    def _open(engine: Engine, story: Story | None) -> int | None:
        return Repository(engine).ensure_story(story) if story is not None else None

    def _flush_if_full(self) -> None:
        if len(self._batch) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        """Hand the buffered rows to the database thread (rows stay buffered until the pipeline
        is open)."""
        if self._database is None:
            return
        if not self._batch:
            if not self._writes:  # nothing buffered, nothing being written: all is stored
                self._announce(time.monotonic())
            return
        batch, self._batch = self._batch, _Batch()
        written = asyncio.wrap_future(self._database.submit(self._write, batch))
        handed = time.monotonic()
        task = asyncio.get_running_loop().create_task(self._record(written, batch, handed))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def _write(self, engine: Engine, batch: _Batch) -> _Outcome:
        """Runs in the database thread; the outcome goes back to the reactor thread for the
        stats."""
        repo = Repository(engine)
        errors: list[Exception] = []
        for attempt in range(1, self.attempts + 1):
            try:
                result = repo.write_batch(
                    batch.captures,
                    batch.pages,
                    self._story_id,
                    revisits=batch.revisits,
                    policy=self._policy,
                    outcomes=batch.outcomes,
                    run_id=self._run_id,
                    forms=batch.forms,
                    decide=self._decide,
                    data_dir=self.data_dir,
                )
            except Exception as exc:
                errors.append(exc)
                if attempt < self.attempts:
                    time.sleep(self.retry_delay)
            else:
                return _Outcome(result, errors, self._cluster(engine, batch, result))
        return _Outcome(None, errors)

    def _cluster(
        self, engine: Engine, batch: _Batch, result: BatchResult
    ) -> ClusterUpdate | Exception | None:
        """The written batch's articles clustered, with the workers' signatures (in the database
        thread, after the batch's own transaction: a failure here loses no row)."""
        if self.clusters is None or self._clusters_at_close or not result.article_ids:
            return None
        signed = {p.signature.text_sha256: p.signature for p in batch.pages if p.signature}
        try:
            return update_clusters(engine, self.clusters, only=result.article_ids, signed=signed)
        except Exception as exc:
            return exc

    def _announce(self, moment: float) -> None:
        self.crawler.signals.send_catch_log(stored_through, moment=moment)

    async def _record(
        self, written: asyncio.Future[_Outcome], batch: _Batch, handed: float
    ) -> None:
        outcome = await written
        try:
            self._count(outcome, batch)
        finally:
            # the writer thread takes batches in order: all handed over before this one is done
            self._announce(handed)

    def _count(self, outcome: _Outcome, batch: _Batch) -> None:
        stats = self.crawler.stats
        assert stats is not None
        for attempt, exc in enumerate(outcome.errors, start=1):
            stats.inc_value("db/errors")
            logger.error(
                "Database write of %d captures, %d pages and %d revisits failed "
                "(attempt %d of %d): %s",
                len(batch.captures),
                len(batch.pages),
                len(batch.revisits),
                attempt,
                self.attempts,
                exc,
                exc_info=exc,
            )
        result = outcome.result
        if result is None:
            self._lost = True
            stats.inc_value("db/lost", len(batch))
            for capture in batch.captures:
                logger.error("Not stored: capture of %s (%s)", capture.url, capture.warc_record_id)
            for page in batch.pages:
                logger.error("Not stored: page %s", page.url)
            for revisit in batch.revisits:
                logger.error("Not stored: revisit of %s (%s)", revisit.url, revisit.outcome)
            if batch.outcomes:
                logger.error("Not stored: the outcomes of %d URLs", len(batch.outcomes))
            return
        if isinstance(outcome.clusters, Exception):
            stats.inc_value("clusters/errors")
            self._clusters_at_close = True  # those articles are left for the update at the end
            logger.error(
                "Updating the syndication clusters failed: %s",
                outcome.clusters,
                exc_info=outcome.clusters,
            )
        elif outcome.clusters is not None:
            stats.inc_value("clusters/signed", outcome.clusters.signed)
            stats.inc_value("clusters/reassigned", outcome.clusters.changed)
        stats.inc_value("db/batches")
        stats.inc_value("db/captures", result.captures)
        stats.inc_value("db/pages", result.pages)
        stats.inc_value("db/versions/new", result.new_versions)
        stats.inc_value("db/versions/unchanged", result.unchanged_versions)
        if result.walled:
            stats.inc_value("db/versions/walled", result.walled)
        stats.inc_value("db/revisits/unchanged", result.revisits_unchanged)
        stats.inc_value("db/revisits/gone", result.revisits_gone)
        if result.outcomes:
            stats.inc_value("db/outcomes", result.outcomes)
        if result.duplicate_captures:
            stats.inc_value("db/captures/duplicate", result.duplicate_captures)
