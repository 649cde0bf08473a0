"""bench.crawlproc's profile of the crawling process: by the wall clock, or by the reactor thread's
CPU, in which a wait costs nothing."""

from __future__ import annotations

import json
import pstats
import time
from pathlib import Path

import pytest

from bench import crawlproc
from crawler import cli


def waiting(args: list[str]) -> int:
    time.sleep(0.3)
    return 0


@pytest.mark.parametrize(("cpu_clock", "waited"), [(False, True), (True, False)])
def test_the_profile_counts_a_wait_only_by_the_wall_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_clock: bool, waited: bool
) -> None:
    monkeypatch.setattr(cli, "main", waiting)
    profile = tmp_path / "profile"
    assert crawlproc.child(tmp_path / "out.json", [], str(profile), cpu_clock) == 0
    assert json.loads((tmp_path / "out.json").read_text())["code"] == 0
    total = pstats.Stats(str(profile)).total_tt  # type: ignore[attr-defined]
    assert (total >= 0.25) is waited
