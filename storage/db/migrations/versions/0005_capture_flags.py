"""Capture flags: what is wrong with a record that is stored all the same (digest mismatch,
truncated, no Content-Type, bad date, non-standard WARC version), and a cut record's declared
length.

Existing captures get no flags: they were stored only when none applied, but for a missing
Content-Type and a WARC-Truncated header, which `newsarchive ingest` of the same files again does
not revisit (their records are stored already).

Revision ID: 0005_capture_flags
Revises: 0004_outcomes
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_capture_flags"
down_revision: str | Sequence[str] | None = "0004_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("flags", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("declared_length", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("declared_length")
        batch.drop_column("flags")
