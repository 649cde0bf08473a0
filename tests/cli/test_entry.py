"""The `newsarchive` executable skips the interpreter's teardown of what a verb loaded (issue 15:
the tail of a crawl), and `main`, which tests call in their own process, does not."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crawler.cli import main

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0))
sys.argv = ["newsarchive", *sys.argv[1:]]
import runpy
runpy.run_module("crawler", run_name="__main__")
"""


def run_probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def test_python_m_crawler_freezes_before_exit() -> None:
    done = run_probe("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("newsarchive ")
    assert done.stdout.splitlines()[-1] == "frozen True"


def test_exit_status_survives_the_freeze() -> None:
    done = run_probe("no-such-verb")
    assert done.returncode == 2
    assert "unknown verb" in done.stderr
    assert done.stdout.splitlines()[-1] == "frozen True"


def test_the_console_script_is_the_freezing_entry() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["newsarchive"] == "crawler.cli:command"


def test_main_in_process_does_not_freeze(capsys: pytest.CaptureFixture[str]) -> None:
    before = gc.get_freeze_count()
    assert main(["--version"]) == 0
    assert gc.get_freeze_count() == before
    assert capsys.readouterr().out.startswith("newsarchive ")
