"""How a crawl's settings are assembled: project defaults, data directory, `-s` overrides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler import __version__
from crawler.run import SettingError, crawl_settings


def test_defaults_are_polite(tmp_path: Path) -> None:
    settings = crawl_settings(tmp_path, None)
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings["USER_AGENT"].startswith(f"newsarchive/{__version__} (+http")
    assert settings["NEWSARCHIVE_DATA_DIR"] == str(tmp_path)


def test_overrides_win_and_values_are_typed_by_scrapy(tmp_path: Path) -> None:
    contact = "NEWSARCHIVE_CONTACT_URL=https://me.example/?a=b"  # a value may hold '='
    settings = crawl_settings(
        tmp_path, "sqlite:///x.db", ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", contact]
    )
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is False
    assert settings["NEWSARCHIVE_CONTACT_URL"] == "https://me.example/?a=b"
    assert settings["DB_URL"] == "sqlite:///x.db"


def test_the_user_agent_follows_the_contact_url_unless_set(tmp_path: Path) -> None:
    settings = crawl_settings(tmp_path, None, ["NEWSARCHIVE_CONTACT_URL=https://me.example/crawl"])
    assert settings["USER_AGENT"] == f"newsarchive/{__version__} (+https://me.example/crawl)"
    settings = crawl_settings(
        tmp_path, None, ["NEWSARCHIVE_CONTACT_URL=https://me.example/", "USER_AGENT=mine/1.0"]
    )
    assert settings["USER_AGENT"] == "mine/1.0"


@pytest.mark.parametrize("bad", ["DOWNLOAD_DELAY", "=1", " =1"])
def test_a_malformed_override_is_an_error(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SettingError, match="NAME=VALUE"):
        crawl_settings(tmp_path, None, [bad])


_IMPORT_TLS = """
import inspect, sys
real, calls = inspect.stack, []
def counted(context=1):
    calls.append(context)
    return real(context)
inspect.stack = counted
from crawler.run import import_tls
import_tls()
from scrapy.core.downloader import contextfactory, tls
assert inspect.stack is counted, "inspect.stack put back"
assert not calls, f"inspect.stack called {len(calls)} times"
assert tls.ScrapyClientTLSOptions.__module__ == "scrapy.core.downloader.tls"
assert contextfactory.ScrapyClientContextFactory.__module__ == contextfactory.__name__
import_tls()  # once only
"""


def test_scrapys_tls_modules_are_imported_without_reading_the_stacks_source() -> None:
    """Scrapy's deprecated aliases there call `inspect.stack()`, which reads every frame's
    source; a crawl's start imports them without that, and they are named as usual."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_TLS], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
