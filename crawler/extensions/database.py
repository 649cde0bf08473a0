"""The crawl's one database owner: one engine and one thread that talks to it.

Every component of a crawl that reads or writes the database — the frontier at the start, the
store pipeline's batches, the outcomes extension's run and outcomes, recovery of a crashed
crawl's files — reaches it through this extension (`crawler.get_extension(Database)`) and runs
its database calls in its thread (`Database.run`, `Database.submit`, which hand the call the
engine): one engine per crawl process, and one writer while the crawl runs, which SQLite needs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, Self, TypeVar

from scrapy import signals
from sqlalchemy import Engine

from crawler import settings as defaults
from crawler.core.datadir import settings_data_dir_id, settings_database_url, settings_warc_dir
from crawler.core.story import Story
from crawler.extraction.options import ExtractOptions
from crawler.services.recover import recover as recover_data_dir
from storage.db.engine import open_database, shipped_heads
from storage.warc import OPEN_SUFFIX

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class Database:
    """Owns the crawl's engine (opened on first use) and its database thread.

    At the start, before any other component is built (it comes first in `EXTENSIONS`), it
    recovers the `.open` WARC files a crashed crawl left and, when the crawl stores
    (`DB_ENABLED`), reconciles the database with them (`recovery/*` stats). At `engine_stopped`,
    once every other component is done with it, it stops its thread and closes the engine.
    """

    def __init__(self, crawler: Crawler, url: str, *, stores: bool) -> None:
        self.crawler = crawler
        self.url = url
        self.stores = stores
        """Whether the crawl writes pages to the database (`DB_ENABLED`)."""
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        database = cls(
            crawler,
            settings_database_url(settings),
            stores=settings.getbool("DB_ENABLED", defaults.DB_ENABLED),
        )
        if settings.getbool("WARC_ENABLED", defaults.WARC_ENABLED) and settings.getbool(
            "WARC_RECOVER", defaults.WARC_RECOVER
        ):
            story = getattr(crawler.spider, "story", None)
            database.recover(settings_warc_dir(settings), story)
        crawler.signals.connect(database.close, signal=signals.engine_stopped)
        return database

    @property
    def engine(self) -> Engine:
        """The crawl's engine, opened (and an empty database created) on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = open_database(self.url)
                # the schema is created (by Alembic) in the crawl's settings check, before the log
                # is set up; at the latest revision it is checked without Alembic, so say it here
                logger.info(
                    "Database %s at revision %s",
                    self._engine.url.render_as_string(hide_password=True),
                    ", ".join(shipped_heads()),
                )
            return self._engine

    def submit(
        self, func: Callable[Concatenate[Engine, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> Future[R]:
        """Run `func(engine, *args, **kwargs)` in the database thread, after everything
        submitted before it."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="newsarchive-db"
                )
            executor = self._executor
        return executor.submit(lambda: func(self.engine, *args, **kwargs))

    async def run(
        self, func: Callable[Concatenate[Engine, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """`submit`, awaited on the event loop."""
        return await asyncio.wrap_future(self.submit(func, *args, **kwargs))

    def close(self) -> None:
        """Wait for the database thread's work, then close the engine."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    def recover(self, directory: Path, story: Story | None) -> None:
        """Before the crawl writes anything: finish the `.open` files a crashed crawl left in
        `directory`, and when this crawl stores to the database, reconcile it with every closed
        file of the data directory it has not caught up with
        (`crawler.services.recover.recover`). Counted in `recovery/*` stats."""
        stats = self.crawler.stats
        assert stats is not None
        settings = self.crawler.settings
        recovery = recover_data_dir(
            directory,
            self.engine if self.stores else None,
            settings_data_dir_id(settings) if self.stores else None,
            ExtractOptions.from_settings(settings),
            story,
        )
        for file in recovery.files:
            if file.changed:
                stats.inc_value("recovery/files")
                stats.inc_value("recovery/bytes_cut", file.cut)
                logger.warning(
                    "Recovered %s left by a crashed crawl: %d complete records kept, "
                    "%d bytes cut%s",
                    file.name + OPEN_SUFFIX,
                    file.records,
                    file.cut,
                    f" ({file.reason})" if file.reason else "",
                )
            elif file.status != "in-use":
                stats.inc_value("recovery/unrecoverable")
                logger.error("Cannot recover %s: %s", file.name + OPEN_SUFFIX, file.reason)
        if not recovery.reconciled:
            return
        done = recovery.done
        stats.inc_value("recovery/captures_added", done.captures_added)
        stats.inc_value("recovery/pages_added", done.pages_added)
        stats.inc_value("recovery/captures_moved", done.captures_repointed)
        stats.inc_value("recovery/captures_dropped", len(done.captures_dropped))
        log = logger.warning if done else logger.info
        log(
            "Reconciled the database with %s: %d captures and %d pages stored, "
            "%d captures moved, %d removed",
            ", ".join(recovery.reconciled),
            done.captures_added,
            done.pages_added,
            done.captures_repointed,
            len(done.captures_dropped),
        )


def database_of(crawler: Crawler) -> Database:
    """The crawl's `Database` extension; a crawl without it is misconfigured."""
    database = crawler.get_extension(Database)
    if database is None:
        raise RuntimeError(
            "the crawl has no database owner: add crawler.extensions.database.Database to "
            "EXTENSIONS"
        )
    return database
