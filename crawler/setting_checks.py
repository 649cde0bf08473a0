"""Checking settings before a crawl starts: a name that is no setting, a value of the wrong type or
out of range is one clear `SettingError`, not a traceback (or a silent trap) midway.

- **Names.** `-s NAME=VALUE` with a NAME that neither Scrapy nor newsarchive has is refused, with
  "did you mean" when it looks like one that exists (`DOWNLOAD_DELEY`). A run that brings
  components of its own (`-s ADDONS=…`, `EXTENSIONS`, `ITEM_PIPELINES`, middlewares) may read
  settings we cannot know of: unknown names are then only a warning.
- **Types**, from the setting's default: booleans, whole numbers, numbers, JSON objects.
- **Ranges** of the numbers a crawl cannot work with: `DOWNLOAD_MAXSIZE=-1` would cancel every
  download, `CONCURRENT_REQUESTS=0` fetch nothing.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


class SettingError(ValueError):
    """A `-s NAME=VALUE` that cannot be used."""


COMPONENT_SETTINGS = frozenset(
    {
        "ADDONS",
        "EXTENSIONS",
        "ITEM_PIPELINES",
        "DOWNLOADER_MIDDLEWARES",
        "SPIDER_MIDDLEWARES",
        "DOWNLOAD_HANDLERS",
        "SPIDER_CONTRACTS",
    }
)
"""Overriding one of these adds code of the user's own, which may read settings of its own."""

READ_WITHOUT_DEFAULT = frozenset(
    {
        # Scrapy reads these with no entry in its default_settings
        "CONCURRENT_REQUESTS_PER_IP",
        "META_COPY_WARN_SKIP_KEYS",
        # scrapy-redis, for distributed crawls (docs/distributed.md)
        "REDIS_URL",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_PARAMS",
        "REDIS_ENCODING",
        "REDIS_ITEMS_KEY",
        "REDIS_ITEMS_SERIALIZER",
        "REDIS_START_URLS_KEY",
        "REDIS_START_URLS_AS_SET",
        "REDIS_START_URLS_AS_ZSET",
        "SCHEDULER_PERSIST",
        "SCHEDULER_QUEUE_KEY",
        "SCHEDULER_QUEUE_CLASS",
        "SCHEDULER_DUPEFILTER_KEY",
        "SCHEDULER_DUPEFILTER_CLASS",
        "SCHEDULER_FLUSH_ON_START",
        "SCHEDULER_IDLE_BEFORE_CLOSE",
        "SCHEDULER_SERIALIZER",
        "DUPEFILTER_KEY",
        "DUPEFILTER_DEBUG",
        "STATS_KEY",
        "MAX_IDLE_TIME_BEFORE_CLOSE",
    }
)
"""Settings that components read although no default names them (tests/test_setting_checks.py
scans Scrapy's, scrapy-redis's and our source for every name they read)."""

FRACTIONAL = frozenset({"DOWNLOAD_TIMEOUT", "DNS_TIMEOUT"})
"""Settings with a whole-number default that Scrapy reads as any number."""


@dataclass(frozen=True, slots=True)
class Bound:
    """The smallest value a numeric setting may take (`least`), whether it must be above, and
    the largest (`most`), if any."""

    least: float
    above: bool = False
    most: float | None = None

    def admits(self, value: float) -> bool:
        if self.most is not None and value > self.most:
            return False
        return value > self.least if self.above else value >= self.least

    def __str__(self) -> str:
        least = f"{self.least:g}"
        if self.most is not None:
            return f"from {least} to {self.most:g}"
        return f"above {least}" if self.above else f"{least} or more"


_NONNEGATIVE = Bound(0)
_POSITIVE = Bound(0, above=True)
_AT_LEAST_ONE = Bound(1)
BOUNDS: dict[str, Bound] = {
    "CONCURRENT_REQUESTS": _AT_LEAST_ONE,
    "CONCURRENT_REQUESTS_PER_DOMAIN": _AT_LEAST_ONE,
    "CONCURRENT_ITEMS": _AT_LEAST_ONE,
    "REACTOR_THREADPOOL_MAXSIZE": _AT_LEAST_ONE,
    "DOWNLOAD_DELAY": _NONNEGATIVE,
    "REQUISITES_MAX_PER_PAGE": _NONNEGATIVE,
    "REQUISITES_MAX_BYTES": _AT_LEAST_ONE,
    "DOWNLOAD_TIMEOUT": _POSITIVE,
    "DNS_TIMEOUT": _POSITIVE,
    "DOWNLOAD_MAXSIZE": _NONNEGATIVE,  # 0: no limit
    "DOWNLOAD_WARNSIZE": _NONNEGATIVE,
    "RETRY_TIMES": _NONNEGATIVE,
    "REDIRECT_MAX_TIMES": _NONNEGATIVE,
    "URLLENGTH_LIMIT": _NONNEGATIVE,  # 0: no limit
    "DEPTH_LIMIT": _NONNEGATIVE,
    "AUTOTHROTTLE_START_DELAY": _NONNEGATIVE,
    "AUTOTHROTTLE_MAX_DELAY": _NONNEGATIVE,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": _POSITIVE,
    "CLOSESPIDER_TIMEOUT": _NONNEGATIVE,
    "CLOSESPIDER_ITEMCOUNT": _NONNEGATIVE,
    "CLOSESPIDER_PAGECOUNT": _NONNEGATIVE,
    "CLOSESPIDER_ERRORCOUNT": _NONNEGATIVE,
    "LOGSTATS_INTERVAL": _NONNEGATIVE,
    "NEWSARCHIVE_PROGRESS_INTERVAL": _NONNEGATIVE,
    "NEWSARCHIVE_ROBOTSTXT_MAXSIZE": _AT_LEAST_ONE,  # 0 would read no rule at all
    "NEWSARCHIVE_SITEMAP_DEPTH": _NONNEGATIVE,
    "NEWSARCHIVE_REDIS_HEARTBEAT": _POSITIVE,
    "NEWSARCHIVE_REDIS_WORKER_TIMEOUT": _POSITIVE,
    "NEWSARCHIVE_REDIS_IDLE_TIME": _NONNEGATIVE,
    "NEWSARCHIVE_REDIS_RUN_TTL": _POSITIVE,
    "WARC_MAX_SIZE": _AT_LEAST_ONE,
    "WARC_GZIP_LEVEL": Bound(0, most=3),  # ISA-L's levels
    "EXTRACT_WORKERS": _NONNEGATIVE,  # 0: one per core
    "EXTRACT_MIN_WORDS": _NONNEGATIVE,
    "DB_BATCH_SIZE": _AT_LEAST_ONE,
    "DB_FLUSH_INTERVAL": _NONNEGATIVE,
    "CLUSTER_SHINGLE_WORDS": _AT_LEAST_ONE,
    "CLUSTER_NUM_PERM": _AT_LEAST_ONE,
}
"""Numeric settings and the values that make sense for them."""

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@cache
def defaults() -> dict[str, Any]:
    """Every setting with a default, newsarchive's over Scrapy's."""
    from scrapy.settings import default_settings

    from crawler import settings as ours

    found = {name: getattr(default_settings, name) for name in dir(default_settings)}
    found.update({name: getattr(ours, name) for name in dir(ours)})
    return {name: value for name, value in found.items() if name.isupper()}


def known_settings() -> frozenset[str]:
    """The names of every setting Scrapy, scrapy-redis or newsarchive reads."""
    return frozenset(defaults()) | READ_WITHOUT_DEFAULT


def check_names(names: Iterable[str]) -> None:
    """Refuse `-s` names that are no setting (see the module's docstring)."""
    names = list(names)
    known = known_settings()
    own_components = any(name in COMPONENT_SETTINGS for name in names)
    for name in names:
        if name in known:
            continue
        if name.upper() in known:
            raise SettingError(
                f"unknown setting {name}: did you mean {name.upper()}? (names are upper case)"
            )
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close:
            raise SettingError(f"unknown setting {name}: did you mean {close[0]}?")
        if own_components:
            logger.warning(
                "%s is not a Scrapy or newsarchive setting: kept for the components this run adds",
                name,
            )
            continue
        raise SettingError(
            f"unknown setting {name}: neither Scrapy nor newsarchive has it (see "
            "docs/crawling.md#settings)"
        )


def check_values(settings: BaseSettings, names: Iterable[str]) -> None:
    """Refuse values of the wrong type for `names` (the ones the user set), and every numeric
    setting out of its `BOUNDS`."""
    table = defaults()
    for name in names:
        _check_type(settings, name, table.get(name))
    for name, bound in BOUNDS.items():
        value = _number(settings, name, float if name in FRACTIONAL else type(table.get(name)))
        if value is not None and not bound.admits(value):
            raise SettingError(f"{name} must be {bound}, got {settings.get(name)!r}")
    level = str(settings.get("LOG_LEVEL") or "INFO")
    if level.upper() not in LOG_LEVELS and not level.isdigit():
        raise SettingError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")


def _check_type(settings: BaseSettings, name: str, default: Any) -> None:
    if isinstance(default, bool):
        try:
            settings.getbool(name)
        except ValueError:
            raise SettingError(
                f"{name} must be True or False, got {settings.get(name)!r}"
            ) from None
    elif isinstance(default, int | float):
        _number(settings, name, float if name in FRACTIONAL else type(default))
    elif isinstance(default, dict):
        try:
            settings.getdict(name)
        except (ValueError, TypeError):
            raise SettingError(
                f"{name} must be a JSON object, e.g. '{{\"name\": 100}}', got "
                f"{settings.get(name)!r}"
            ) from None


def _number(settings: BaseSettings, name: str, kind: type) -> float | None:
    """The setting as a number of `kind` (int or float; None for any other kind)."""
    if settings.get(name) is None:
        return None
    try:
        if kind is int:
            return float(settings.getint(name))
        if kind is float:
            return settings.getfloat(name)
    except (ValueError, TypeError):
        what = "a whole number" if kind is int else "a number"
        raise SettingError(f"{name} must be {what}, got {settings.get(name)!r}") from None
    return None


def check_directory(name: str, path: Path) -> None:
    """Refuse a directory setting (`WARC_DIR`) that names a file, or that cannot be made or
    written."""
    if path.exists() and not path.is_dir():
        raise SettingError(f"{name}: {path} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(f"{name}: cannot make {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise SettingError(f"{name}: cannot write in {path}")
