"""`python -m crawler.simweb` runs in the foreground and stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request

from crawler.story import parse_story


def test_runs_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.simweb", "--extra", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines: list[str] = []
        while sum(line.startswith("follow = ") for line in lines) < 5:  # one per publisher
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        assert "Serving" in proc.stderr.readline()
        urls = [line.split()[-1] for line in lines[:5]]
        assert all(u.startswith("http://127.0.0.1:") for u in urls)
        with urllib.request.urlopen(urls[0], timeout=5) as resp:
            assert resp.status == 200
        story = parse_story("".join(lines[lines.index("# story file\n") + 1 :]))
        assert [s.url for s in story.sources] == urls
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
