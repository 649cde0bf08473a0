"""Running a crawl in this process: settings assembled the way `scrapy crawl` does, plus ours."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
from twisted.python.failure import Failure

from crawler import __version__
from crawler.core.story import Story
from crawler.setting_checks import SettingError, check_names, check_values
from crawler.stopping import stop_crawls_on_signals

__all__ = ["SettingError", "check_settings", "crawl_settings", "run_crawl"]
logger = logging.getLogger(__name__)


class CrawlFailed(RuntimeError):
    """The crawl raised instead of ending (a component refused its settings at the start, say):
    the traceback is in the log, the message is one line."""


def crawl_settings(data_dir: Path, db_url: str | None, overrides: Iterable[str] = ()) -> Settings:
    """Project settings, then the data directory and database, then `-s NAME=VALUE` overrides
    (at Scrapy's `cmdline` priority, as with `scrapy crawl -s`). A malformed override, or a
    name that is no setting (`crawler.setting_checks`), raises `SettingError`."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NEWSARCHIVE_DATA_DIR", str(data_dir), priority="cmdline")
    if db_url:
        settings.set("DB_URL", db_url, priority="cmdline")
    names = []
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"-s takes NAME=VALUE, got {override!r}")
        names.append(name.strip())
        try:
            settings.set(name.strip(), value, priority="cmdline")
        except (ValueError, TypeError):  # a JSON object expected (EXTENSIONS, …)
            raise SettingError(
                f"{name.strip()} must be a JSON object, e.g. '{{\"name\": 100}}', got {value!r}"
            ) from None
    check_names(names)
    _unload_switched_off(settings)
    if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
        # The user agent names the tool and whoever runs it: follow NEWSARCHIVE_CONTACT_URL
        # unless USER_AGENT itself was overridden.
        contact = settings.get("NEWSARCHIVE_CONTACT_URL")
        settings.set("USER_AGENT", f"newsarchive/{__version__} (+{contact})", priority="project")
    return settings


_SWITCHED_OFF = (
    ("EXTENSIONS", "scrapy.extensions.remote_control.RemoteControl", "REMOTE_CONTROL_ENABLED"),
    ("EXTENSIONS", "scrapy.extensions.telnet.TelnetConsole", "TELNETCONSOLE_ENABLED"),
    ("DOWNLOADER_MIDDLEWARES", "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
     "COOKIES_ENABLED"),
)  # fmt: skip
"""Scrapy components (setting, class path, switch) left out of Scrapy's `*_BASE` lists when
their switch is off. Scrapy imports a component's module before the component can refuse with
NotConfigured (and imports it to read a `None` that disables it): the remote control's imports
aiohttp and the cookies middleware's tldextract, about 0.3 s of a crawl's start together."""


def _unload_switched_off(settings: Settings) -> None:
    for name, path, switch in _SWITCHED_OFF:
        if settings.getbool(switch):
            continue
        base = f"{name}_BASE"
        components = settings.getdict(base)
        if components.pop(path, None) is not None:
            priority = max(settings.getpriority(base) or 0, SETTINGS_PRIORITIES["project"])
            settings.set(base, components, priority=priority)


_UNREACHABLE = (
    CannotResolveHostError,
    ConnectionError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
)


_CMDLINE = SETTINGS_PRIORITIES["cmdline"]


def check_settings(settings: Settings) -> None:
    """Refuse, with one clear message, the settings a crawl would otherwise fail on midway:
    values of the wrong type or out of range, an unknown revisit mode or clock, bad extraction
    or clustering options, a WARC prefix or directory that cannot be used, a database that
    cannot be opened or written or whose schema is not at this newsarchive's revision. Opening
    an empty database creates its schema (its directory must exist)."""
    from crawler.clustering.signatures import cluster_options
    from crawler.core.datadir import (
        settings_data_dir_id,
        settings_database_url,
        settings_warc_dir,
    )
    from crawler.extensions.progress import progress_mode
    from crawler.extraction.options import ExtractOptions
    from crawler.middlewares.guard import AllowList
    from crawler.services.frontier import REVISIT_MODES, crawl_clock
    from crawler.setting_checks import check_directory
    from storage.db.engine import SchemaMismatch, check_writable, open_database
    from storage.warc import check_prefix

    check_values(settings, [name for name in settings if settings.getpriority(name) == _CMDLINE])
    if settings.get("NEWSARCHIVE_REVISIT") not in REVISIT_MODES:
        raise SettingError(
            f"NEWSARCHIVE_REVISIT must be one of {', '.join(REVISIT_MODES)}, "
            f"got {settings.get('NEWSARCHIVE_REVISIT')!r}"
        )
    try:
        progress_mode(settings.get("NEWSARCHIVE_PROGRESS"))
    except ValueError as exc:
        raise SettingError(str(exc)) from None
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
        check_prefix(settings.get("WARC_PREFIX"))
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    if settings.getbool("WARC_ENABLED"):
        check_directory("WARC_DIR", settings_warc_dir(settings))
    if settings.get("JOBDIR"):
        check_directory("JOBDIR", Path(settings.get("JOBDIR")))
    if settings.getbool("DB_ENABLED"):
        try:  # the database knows the data directory's files by it (docs/verify.md)
            settings_data_dir_id(settings)
        except OSError as exc:
            raise SettingError(f"NEWSARCHIVE_DATA_DIR: {exc}") from None
    redis_url = settings.get("NEWSARCHIVE_REDIS_URL")
    if redis_url:
        _check_distributed(settings, redis_url)
    url = settings_database_url(settings)
    try:
        if redis_url:
            from crawler import distributed

            # workers started together would otherwise race to create the schema
            with distributed.migration_lock(redis_url, settings.get("NEWSARCHIVE_REDIS_PREFIX")):
                engine = open_database(url, make_dirs=False)
        else:
            engine = open_database(url, make_dirs=False)
        try:
            if settings.getbool("DB_ENABLED"):
                check_writable(engine)
        finally:
            engine.dispose()
    except SchemaMismatch as exc:
        raise SettingError(str(exc)) from None
    except Exception as exc:  # any driver's error: the message is what the user needs
        raise SettingError(" ".join(str(exc).split())) from None


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


@contextmanager
def heap_frozen() -> Iterator[None]:
    """The objects alive on entry (modules, classes and the crawler's components: 130,000 of
    them in a crawl's process) kept out of the garbage collector's passes until exit.

    The collector's older generations otherwise walk them again and again while none of them
    becomes garbage: on a 978-page recrawl the collector's time fell from 0.35-0.48 s to
    0.24-0.26 s, the process's CPU by about 0.3 s (docs/benchmarks.md, recrawl). What the crawl
    allocates is collected as usual; the frozen objects go back to the collector on exit, so a
    process that runs several crawls (the tests) frees them. Collected first, so that no garbage
    of start-up is frozen with them."""
    if gc.get_freeze_count():  # someone froze them already, and will thaw them
        yield
        return
    gc.collect()  # garbage now would otherwise be pinned for the whole crawl
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_crawl(story: Story, settings: Settings) -> dict[str, Any]:
    """Crawl `story` to the end (blocking: starts and stops the reactor) and return the stats.

    SIGINT and SIGTERM stop it as `crawler.stopping` says; the stats then name the signal
    (`shutdown/signal`). A crawl that raises instead of ending raises `CrawlFailed`."""
    from spiders.story import StorySpider

    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(
        _NoTracebackForUnreachableRobots()
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(StorySpider)
    failures: list[Failure] = []
    process.crawl(crawler, story=story).addErrback(failures.append)
    stop = stop_crawls_on_signals(process)
    try:
        with heap_frozen():
            process.start(install_signal_handlers=False)
    finally:
        stop.restore()
    if failures:
        failure = failures[0]
        logger.error("The crawl failed:\n%s", failure.getTraceback())
        raise CrawlFailed(f"{type(failure.value).__name__}: {failure.value}")
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())
