"""Helpers shared by test modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

WARCIO_CLI = "import sys; from warcio.cli import main; main(sys.argv[1:])"
"""The `warcio` command, run with this interpreter (warcio has no `__main__`)."""


def warcio_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    """Run the `warcio check` command (digests of every record) on `paths`."""
    return subprocess.run(
        [sys.executable, "-c", WARCIO_CLI, "check", "-v", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
