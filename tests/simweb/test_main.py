"""`python -m crawler.simweb` runs in the foreground, moves through rounds on Enter, and stops
cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from crawler.core.story import parse_story
from crawler.simweb.plan import plan_web
from crawler.simweb.timeline import SCENARIO


@contextmanager
def simweb(*args: str, stdin: int = subprocess.DEVNULL) -> Iterator[subprocess.Popen[str]]:
    """The command running, stopped with Ctrl-C at the end (and checked to stop cleanly)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.simweb", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0  # a hang guard: shutting down takes far less, unloaded
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()


def story_lines(proc: subprocess.Popen[str]) -> list[str]:
    """What it prints before serving: one line per publisher, then the story file."""
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    while sum(line.startswith("follow = ") for line in lines) < 5:  # one per publisher
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        lines.append(line)
    return lines


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:  # a hang guard, generous for a slow CI
        body: bytes = resp.read()
        return body.decode()


def test_runs_until_interrupted() -> None:
    with simweb("--extra", "5") as proc:
        lines = story_lines(proc)
        assert proc.stderr is not None and "Serving round 0" in proc.stderr.readline()
        urls = [line.split()[-1] for line in lines[:5]]
        assert all(u.startswith("http://127.0.0.1:") for u in urls)
        assert "<html" in get(urls[0])
        story = parse_story("".join(lines[lines.index("# story file\n") + 1 :]))
        assert [s.url for s in story.sources] == urls


def test_starts_in_a_round_and_enter_moves_to_the_next() -> None:
    [correction] = [s for s in SCENARIO if s.kind == "correction"]
    [headline] = [s for s in SCENARIO if s.kind == "headline"]
    [path] = [a.path for a in plan_web()["ledgerline"] if a.text.key == correction.key]
    with simweb("--round", "1", stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        base = story_lines(proc)[0].split()[-1]
        assert "Serving round 1" in proc.stderr.readline()
        first = get(base + path.lstrip("/"))
        assert correction.new in first and headline.new not in first
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stderr.readline().strip() == "Round 2"
        assert f'<h1 class="s-title">{headline.new}</h1>' in get(base + path.lstrip("/"))


def test_feature_flags_start_the_features_and_print_their_hosts() -> None:
    with simweb("--all-features") as proc:
        lines = story_lines(proc)
        assert proc.stderr is not None and "Serving round 0" in proc.stderr.readline()
        hosts = dict(
            line.rsplit(None, 1)
            for line in lines[5 : lines.index("# story file\n")]
            if line.strip()
        )
        assert set(hosts) == {
            "CDN (requisites)",
            "Wayback Machine",
            "Common Crawl index",
            "Common Crawl data",
        }
        assert all(url.startswith("http://127.0.0.1:") for url in hosts.values())
        assert get(hosts["Wayback Machine"] + "robots.txt").startswith("User-agent: *")
        assert "Disallow: /internal/" in get(hosts["CDN (requisites)"] + "robots.txt")
        index = hosts["Common Crawl index"]
        assert index.endswith("/CC-MAIN-2025-08-index")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(index + "?url=nothing.test/*&output=json", timeout=5)
        assert missing.value.code == 404
        assert json.loads(missing.value.read()) == {
            "message": "No Captures found for: nothing.test/*"
        }


def test_without_flags_no_feature_host_is_printed() -> None:
    with simweb() as proc:
        lines = story_lines(proc)
        assert proc.stderr is not None and "Serving round 0" in proc.stderr.readline()
        assert lines[5] == "\n" and lines[6] == "# story file\n"
