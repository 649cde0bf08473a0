"""Published forms of URLs: the spelling a feed, sitemap or link used (tracking parameters and
all), recorded as aliases of the normalised URL; a crawl requests a URL as published.

Revision ID: 0009_url_forms
Revises: 0010_warc_files (re-chained after main's 0010 when merging main)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_url_forms"
down_revision: str | Sequence[str] | None = "0010_warc_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    # storage.db.models.UTCDateTime only converts values in Python; the column is this.
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "url_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_hash", sa.LargeBinary(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_url_forms_url_id_urls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_url_forms")),
        sa.UniqueConstraint("form_hash", name=op.f("uq_url_forms_form_hash")),
    )
    op.create_index(op.f("ix_url_forms_url_id"), "url_forms", ["url_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_url_forms_url_id"), table_name="url_forms")
    op.drop_table("url_forms")
