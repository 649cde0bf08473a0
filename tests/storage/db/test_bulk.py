"""Each dialect's INSERT, and a crawl on SQLite that never imports PostgreSQL's dialect (issue 15:
start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from storage.db.bulk import dialect_insert
from storage.db.engine import open_database
from storage.db.models import Url

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import sys
from pathlib import Path
import crawler.cli.crawl, crawler.run, spiders.story, crawler.extensions.database
import crawler.pipelines.store, crawler.middlewares.revisits
from storage.db.bulk import dialect_insert
from storage.db.engine import open_database
from storage.db.models import Url
engine = open_database("sqlite:///" + str(Path(sys.argv[1]) / "probe.db"))
with engine.connect() as conn:
    assert dialect_insert(conn, Url).dialect_kwargs is not None
engine.dispose()
print(sorted(m for m in sys.modules if "postgresql" in m or m.startswith("psycopg")))
"""


def test_a_sqlite_crawl_does_not_import_postgresql(tmp_path: Path) -> None:
    """On a database at the latest revision, as a recrawl finds it (creating one runs Alembic,
    which imports every dialect's DDL)."""
    open_database(f"sqlite:///{tmp_path / 'probe.db'}").dispose()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def connection(name: str) -> Any:
    return SimpleNamespace(dialect=SimpleNamespace(name=name))


def test_each_dialect_gets_its_own_insert() -> None:
    assert isinstance(dialect_insert(connection("sqlite"), Url), sqlite.Insert)
    assert isinstance(dialect_insert(connection("postgresql"), Url), postgresql.Insert)


def test_another_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        dialect_insert(connection("mysql"), Url)
