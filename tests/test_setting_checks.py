"""`-s NAME=VALUE` checked before a crawl: names (did you mean), types, ranges."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import scrapy

from crawler import setting_checks
from crawler.run import SettingError, check_settings, crawl_settings
from crawler.setting_checks import FRACTIONAL, check_names, defaults, known_settings

ROOT = Path(__file__).resolve().parents[1]
_READ = re.compile(
    r"""(?:settings|self\.settings|crawler\.settings)(?:\.get\w*\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def settings_read_in(*roots: Path) -> dict[str, str]:
    """Every setting name the Python source under `roots` reads, with a file that reads it."""
    found: dict[str, str] = {}
    for root in roots:
        for path in root.rglob("*.py"):
            for match in _READ.finditer(path.read_text(encoding="utf-8", errors="replace")):
                found.setdefault(match.group(1), str(path))
    return found


def test_every_setting_scrapy_scrapy_redis_or_newsarchive_reads_is_known() -> None:
    import scrapy_redis

    roots = [Path(scrapy.__file__).parent, Path(scrapy_redis.__file__).parent]
    roots += [ROOT / "crawler", ROOT / "spiders", ROOT / "storage"]
    read = settings_read_in(*roots)
    assert len(read) > 150  # the scan finds what it should
    unknown = {name: path for name, path in read.items() if name not in known_settings()}
    assert unknown == {}


def test_whole_numbers_are_read_as_whole_numbers_by_scrapy() -> None:
    """A setting whose default is an int is checked with getint, unless Scrapy reads it with
    getfloat (FRACTIONAL): the check must not refuse what the crawl accepts, nor the reverse."""
    reads: dict[str, set[str]] = {}
    pattern = re.compile(r"""\.get(float|int)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    for root in (Path(scrapy.__file__).parent, ROOT / "crawler", ROOT / "spiders"):
        for path in root.rglob("*.py"):
            for kind, name in pattern.findall(path.read_text(encoding="utf-8")):
                reads.setdefault(name, set()).add(kind)
    ints = {n for n, v in defaults().items() if type(v) is int}
    read_as_float = {n for n in ints if reads.get(n) == {"float"}}
    assert read_as_float == set(FRACTIONAL)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("DOWNLOAD_DELEY", "did you mean DOWNLOAD_DELAY?"),
        ("EXTRACT_WORKER", "did you mean EXTRACT_WORKERS?"),
        ("NEWSARCHIVE_CONTACT", "did you mean NEWSARCHIVE_CONTACT_URL?"),
        ("warc_prefix", "did you mean WARC_PREFIX? (names are upper case)"),
        ("FROBNICATE", "neither Scrapy nor newsarchive has it"),
    ],
)
def test_unknown_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(SettingError, match=re.escape(message)):
        crawl_settings(Path("data"), None, [f"{name}=1"])


def test_known_names_pass() -> None:
    check_names(["DOWNLOAD_DELAY", "JOBDIR", "CLOSESPIDER_PAGECOUNT", "REDIS_URL", "DB_URL"])


def test_a_run_with_components_of_its_own_may_set_their_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=setting_checks.__name__):
        check_names(["ITEM_PIPELINES", "MYPIPELINE_BUCKET"])
    assert "MYPIPELINE_BUCKET is not a Scrapy or newsarchive setting" in caplog.text
    with pytest.raises(SettingError, match="did you mean DOWNLOAD_DELAY"):  # a typo is a typo
        check_names(["ITEM_PIPELINES", "DOWNLOAD_DELEY"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("DOWNLOAD_MAXSIZE=-1", "DOWNLOAD_MAXSIZE must be 0 or more, got '-1'"),
        ("DOWNLOAD_WARNSIZE=-1", "DOWNLOAD_WARNSIZE must be 0 or more"),
        ("DOWNLOAD_TIMEOUT=-3", "DOWNLOAD_TIMEOUT must be above 0"),
        ("DOWNLOAD_DELAY=-1", "DOWNLOAD_DELAY must be 0 or more"),
        ("CONCURRENT_REQUESTS_PER_DOMAIN=0", "CONCURRENT_REQUESTS_PER_DOMAIN must be 1 or more"),
        ("RETRY_TIMES=-1", "RETRY_TIMES must be 0 or more"),
        ("RETRY_TIMES=1.5", "RETRY_TIMES must be a whole number"),
        ("NEWSARCHIVE_ROBOTSTXT_MAXSIZE=0", "NEWSARCHIVE_ROBOTSTXT_MAXSIZE must be 1 or more"),
        ("EXTRACT_WORKERS=-2", "EXTRACT_WORKERS must be 0 or more"),
        ("AUTOTHROTTLE_ENABLED=perhaps", "AUTOTHROTTLE_ENABLED must be True or False"),
        ("DOWNLOADER_MIDDLEWARES=[1", "DOWNLOADER_MIDDLEWARES must be a JSON object"),
        ("LOG_LEVEL=CHATTY", "LOG_LEVEL must be one of"),
        ("WARC_PREFIX=a/b", "WARC_PREFIX must be a non-empty file name part"),
        ("WARC_GZIP_LEVEL=6", "WARC_GZIP_LEVEL must be from 0 to 3"),
    ],
)
def test_values_that_cannot_work_are_refused(override: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingError, match=re.escape(message)):
        settings = crawl_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", [override])
        check_settings(settings)


@pytest.mark.parametrize(
    "override",
    ["DOWNLOAD_TIMEOUT=2.5", "DOWNLOAD_MAXSIZE=0", "DOWNLOAD_DELAY=0.25", "LOG_LEVEL=debug"],
)
def test_values_a_crawl_can_work_with_pass(override: str, tmp_path: Path) -> None:
    check_settings(crawl_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", [override]))
