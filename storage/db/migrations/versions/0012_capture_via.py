"""Capture `via`: the web archive a capture was copied from by `newsarchive backfill` (the
`[[archives]]` name in the story file). Existing captures are our own fetches: None.

Revision ID: 0012_capture_via
Revises: 0010_warc_files
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_capture_via"
down_revision: str | Sequence[str] | None = "0009_url_forms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("via", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("via")
