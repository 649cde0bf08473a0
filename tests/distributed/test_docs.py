"""docs/distributed.md documents every distributed setting and every Redis key."""

from __future__ import annotations

import re

from crawler import settings
from crawler.distributed.coordinator import Keys
from tests.test_docs import DOCS, section, table_names

DOC = DOCS / "distributed.md"


def test_every_redis_setting_is_documented() -> None:
    defined = {name for name in vars(settings) if name.startswith("NEWSARCHIVE_REDIS_")}
    assert set(table_names(section(DOC, "## Settings"))) == defined


def test_every_key_is_documented() -> None:
    keys = Keys("P", "S")
    names = [
        keys.requests,
        keys.dupefilter,
        keys.seed,
        keys.workers,
        keys.jobs,
        keys.worker("<id>"),
        keys.inflight("<id>"),
    ]
    documented = set(re.findall(r"^\| `…:([^`]+)`", section(DOC, "## Keys"), re.MULTILINE))
    assert documented == {name.removeprefix(f"{keys.base}:") for name in names}
