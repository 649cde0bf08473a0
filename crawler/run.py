"""Running a crawl in this process: settings assembled the way `scrapy crawl` does, plus ours."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
)
from scrapy.settings import SETTINGS_PRIORITIES, Settings

from crawler import __version__
from crawler.core.story import Story


class SettingError(ValueError):
    """A `-s NAME=VALUE` that cannot be used."""


def crawl_settings(data_dir: Path, db_url: str | None, overrides: Iterable[str] = ()) -> Settings:
    """Project settings, then the data directory and database, then `-s NAME=VALUE` overrides
    (at Scrapy's `cmdline` priority, as with `scrapy crawl -s`)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NEWSARCHIVE_DATA_DIR", str(data_dir), priority="cmdline")
    if db_url:
        settings.set("DB_URL", db_url, priority="cmdline")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"-s takes NAME=VALUE, got {override!r}")
        settings.set(name.strip(), value, priority="cmdline")
    if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
        # The user agent names the tool and whoever runs it: follow NEWSARCHIVE_CONTACT_URL
        # unless USER_AGENT itself was overridden.
        contact = settings.get("NEWSARCHIVE_CONTACT_URL")
        settings.set("USER_AGENT", f"newsarchive/{__version__} (+{contact})", priority="project")
    return settings


_UNREACHABLE = (
    CannotResolveHostError,
    ConnectionError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
)


_INTEGERS = (
    "DB_BATCH_SIZE",
    "EXTRACT_WORKERS",
    "EXTRACT_MIN_WORDS",
    "WARC_MAX_SIZE",
    "CLUSTER_SHINGLE_WORDS",
    "CLUSTER_NUM_PERM",
    "DOWNLOAD_MAXSIZE",
    "REDIRECT_MAX_TIMES",
    "URLLENGTH_LIMIT",
    "NEWSARCHIVE_ROBOTSTXT_MAXSIZE",
    "NEWSARCHIVE_SITEMAP_DEPTH",
)
_FLOATS = (
    "DB_FLUSH_INTERVAL",
    "NEWSARCHIVE_PROGRESS_INTERVAL",
    "DOWNLOAD_DELAY",
    "CLUSTER_THRESHOLD",
    "NEWSARCHIVE_REDIS_HEARTBEAT",
    "NEWSARCHIVE_REDIS_WORKER_TIMEOUT",
    "NEWSARCHIVE_REDIS_IDLE_TIME",
    "NEWSARCHIVE_REDIS_RUN_TTL",
    "DOWNLOAD_TIMEOUT",
)


def check_settings(settings: Settings) -> None:
    """Refuse, with one clear message, the settings a crawl would otherwise fail on midway:
    malformed numbers, an unknown revisit mode or clock, bad extraction or clustering options, a
    database that cannot be opened or whose schema is not at this newsarchive's revision.
    Opening an empty database creates its schema."""
    from crawler.clustering.signatures import cluster_options
    from crawler.core.datadir import settings_database_url
    from crawler.extraction.options import ExtractOptions
    from crawler.middlewares.guard import AllowList
    from crawler.services.frontier import REVISIT_MODES, crawl_clock
    from storage.db.engine import SchemaMismatch, open_database

    for name in _INTEGERS:
        try:
            settings.getint(name)
        except ValueError:
            raise SettingError(f"{name} must be a whole number, got {settings[name]!r}") from None
    for name in _FLOATS:
        try:
            settings.getfloat(name)
        except ValueError:
            raise SettingError(f"{name} must be a number, got {settings[name]!r}") from None
    if settings.get("NEWSARCHIVE_REVISIT") not in REVISIT_MODES:
        raise SettingError(
            f"NEWSARCHIVE_REVISIT must be one of {', '.join(REVISIT_MODES)}, "
            f"got {settings.get('NEWSARCHIVE_REVISIT')!r}"
        )
    try:
        crawl_clock(settings)
    except ValueError:
        raise SettingError(
            "NEWSARCHIVE_NOW must be an ISO 8601 time like 2025-02-04T12:00:00+00:00, "
            f"got {settings.get('NEWSARCHIVE_NOW')!r}"
        ) from None
    try:
        ExtractOptions.from_settings(settings)
    except ValueError as exc:
        raise SettingError(f"extraction settings: {exc}") from None
    try:
        cluster_options(settings)
    except ValueError as exc:
        raise SettingError(f"clustering settings: {exc}") from None
    try:
        AllowList(settings.getlist("NEWSARCHIVE_GUARD_ALLOW"))
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    redis_url = settings.get("NEWSARCHIVE_REDIS_URL")
    if redis_url:
        _check_distributed(settings, redis_url)
    url = settings_database_url(settings)
    try:
        if redis_url:
            from crawler import distributed

            # workers started together would otherwise race to create the schema
            with distributed.migration_lock(redis_url, settings.get("NEWSARCHIVE_REDIS_PREFIX")):
                open_database(url).dispose()
        else:
            open_database(url).dispose()
    except SchemaMismatch as exc:
        raise SettingError(str(exc)) from None
    except Exception as exc:  # any driver's error: the message is what the user needs
        raise SettingError(f"cannot use the database {url!r}: {exc}") from None


def _check_distributed(settings: Settings, url: str) -> None:
    from crawler import distributed

    try:
        distributed.check(url)
    except distributed.RedisUnavailable as exc:
        raise SettingError(str(exc)) from None
    if settings.getfloat("DB_FLUSH_INTERVAL") <= 0:
        # a worker acknowledges a request once it is stored, which the timer guarantees
        raise SettingError("a distributed crawl needs DB_FLUSH_INTERVAL above 0")
    if settings.getfloat("NEWSARCHIVE_REDIS_HEARTBEAT") <= 0:
        raise SettingError("NEWSARCHIVE_REDIS_HEARTBEAT must be above 0")
    if settings.getfloat("NEWSARCHIVE_REDIS_RUN_TTL") <= settings.getfloat(
        "NEWSARCHIVE_REDIS_WORKER_TIMEOUT"
    ):
        # a dead worker's in-flight requests must outlive the wait for its heartbeat
        raise SettingError(
            "NEWSARCHIVE_REDIS_RUN_TTL must be longer than NEWSARCHIVE_REDIS_WORKER_TIMEOUT"
        )


class _NoTracebackForUnreachableRobots(logging.Filter):
    """Scrapy logs a failed robots.txt download with a full traceback; an unreachable site is not
    a bug, and the spider reports it in one line (`source 'X': URL cannot be fetched: …`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], _UNREACHABLE):
            record.exc_info = None
            record.exc_text = None
        return True


def run_crawl(story: Story, settings: Settings) -> dict[str, Any]:
    """Crawl `story` to the end (blocking: starts and stops the reactor) and return the stats."""
    from spiders.story import StorySpider

    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(
        _NoTracebackForUnreachableRobots()
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(StorySpider)
    process.crawl(crawler, story=story)
    process.start()
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())
