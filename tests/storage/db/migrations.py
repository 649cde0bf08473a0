"""A newsarchive one migration ahead of this one, for the tests of schema revision checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.db import engine

LATER = "9999_later"
"""The revision the later newsarchive adds: it creates the table `later_probe`."""

_REVISION = '''"""A test revision after the released ones."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("later_probe", sa.Column("id", sa.Integer(), primary_key=True))
{more}


def downgrade() -> None:
    op.drop_table("later_probe")
'''


def _released() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(engine.MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def released_head() -> str:
    """The latest revision this newsarchive ships."""
    head = _released().get_current_head()
    assert head is not None
    return head


def released_base() -> str:
    """The first revision this newsarchive ships: the schema of its first release."""
    base = _released().get_base()
    assert base is not None
    return base


def use_later_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, more: str = "") -> None:
    """Make `storage.db.engine` use a copy of the migrations with `LATER` added on top: as if
    this were the next newsarchive, whose models need one more revision. `more`: further lines
    of its `upgrade()` (indented by four spaces)."""
    later = tmp_path / "later-migrations"
    shutil.copytree(
        engine.MIGRATIONS_DIR,
        later,
        ignore=shutil.ignore_patterns("__pycache__"),
        dirs_exist_ok=True,
    )
    (later / "versions" / f"{LATER}.py").write_text(
        _REVISION.format(revision=LATER, down=released_head(), more=more)
    )
    monkeypatch.setattr(engine, "MIGRATIONS_DIR", later)
