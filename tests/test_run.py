"""How a crawl's settings are assembled: project defaults, data directory, `-s` overrides."""

from __future__ import annotations

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
