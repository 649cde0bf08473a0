"""The layers of docs/development.md hold: import-linter's contracts in pyproject.toml pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


CRAWL_COMPONENTS = ("spiders", "crawler/extensions", "crawler/pipelines", "crawler/middlewares",
                    "crawler/distributed", "crawler/services/frontier.py")  # fmt: skip
OWNER = ROOT / "crawler" / "extensions" / "database.py"


def test_one_database_owner_per_crawl() -> None:
    """Only the database extension opens an engine in a crawl; no component finds another by
    a dotted string."""
    for part in CRAWL_COMPONENTS:
        path = ROOT / part
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            text = source.read_text()
            if source != OWNER:
                assert "open_database" not in text, source
                assert "create_engine" not in text, source
            assert '"crawler.pipelines.' not in text, source
            assert '"crawler.extensions.' not in text, source
