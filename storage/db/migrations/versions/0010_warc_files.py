"""WARC files and the data directory each belongs to (`warc_files`): `verify` checks and
repairs only its own data directory's files, and a crawl reconciles those not `settled`.

The files that captures point into already are registered under the data directory '' (written
before data directories had ids) and settled: their owner cannot be told, and the crawls that
wrote them reconciled them as they did then. `verify --repair` and the crawls claim those in
their own warc/ directory.

Revision ID: 0010_warc_files
Revises: 0007_search
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_warc_files"
down_revision: str | Sequence[str] | None = "0007_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warc_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_dir", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warc_files")),
        sa.UniqueConstraint("data_dir", "name", name=op.f("uq_warc_files_data_dir_name")),
    )
    op.create_index(op.f("ix_warc_files_name"), "warc_files", ["name"], unique=False)
    op.execute(
        "INSERT INTO warc_files (data_dir, name, settled, registered_at) "
        "SELECT DISTINCT '', warc_filename, true, CURRENT_TIMESTAMP FROM captures"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_warc_files_name"), table_name="warc_files")
    op.drop_table("warc_files")
