"""How a crawl's settings are assembled: project defaults, data directory, `-s` overrides."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from crawler import __version__, run
from crawler.core.story import Story
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


class _Process:
    """A CrawlerProcess that records how frozen the heap is while the reactor would run."""

    frozen_while_running: int | None = None

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def create_crawler(self, spider: Any) -> Any:
        return SimpleNamespace(stats=SimpleNamespace(get_stats=lambda: {"done": 1}))

    def crawl(self, crawler: Any, **kwargs: Any) -> Any:
        return SimpleNamespace(addErrback=lambda errback: None)

    def start(self, install_signal_handlers: bool = True) -> None:
        _Process.frozen_while_running = gc.get_freeze_count()

    def stop(self) -> None:
        pass


def test_the_heap_is_frozen_while_the_crawl_runs_and_thawed_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "CrawlerProcess", _Process)
    story = Story(name="s", title="S", sources=())
    assert gc.get_freeze_count() == 0
    assert run.run_crawl(story, crawl_settings(tmp_path, None)) == {"done": 1}
    assert _Process.frozen_while_running
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_by_someone_else_is_left_frozen() -> None:
    gc.freeze()
    try:
        with run.heap_frozen():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_garbage_of_start_up_is_collected_not_frozen() -> None:
    """A reference cycle dropped before the crawl is freed, not pinned for the crawl's length."""

    class Node:
        other: Any = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second
    gc.disable()  # only heap_frozen may collect it
    try:
        with run.heap_frozen():
            assert gone() is None
    finally:
        gc.enable()
