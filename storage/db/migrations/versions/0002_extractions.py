"""Extractions (per capture, extractor and options: its version or reason); story definitions.

The rows are backfilled from the versions already stored: each version's capture gave its text,
with the version's extractor and options no longer known ('unknown').

Revision ID: 0002_extractions
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_extractions"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWN_OPTIONS = "unknown"


def upgrade() -> None:
    op.add_column("stories", sa.Column("definition", sa.Text(), nullable=True))
    extractions = op.create_table(
        "extractions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("extractor", sa.Text(), nullable=False),
        sa.Column("options_digest", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("extracted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
            name=op.f("fk_extractions_capture_id_captures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_extractions_version_id_article_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractions")),
        sa.UniqueConstraint(
            "capture_id",
            "extractor",
            "options_digest",
            name=op.f("uq_extractions_capture_id_extractor_options_digest"),
        ),
    )
    op.create_index(op.f("ix_extractions_version_id"), "extractions", ["version_id"])
    versions = sa.table(
        "article_versions",
        sa.column("id", sa.Integer()),
        sa.column("capture_id", sa.Integer()),
        sa.column("extractor", sa.Text()),
        sa.column("first_seen", sa.DateTime(timezone=True)),
    )
    # One row per (capture, extractor): a capture that somehow made two versions keeps the later.
    backfill = (
        sa.select(
            versions.c.capture_id,
            versions.c.extractor,
            sa.literal(UNKNOWN_OPTIONS, sa.String(64)),
            sa.func.max(versions.c.id),
            sa.func.max(versions.c.first_seen),
        )
        .where(versions.c.capture_id.is_not(None))
        .group_by(versions.c.capture_id, versions.c.extractor)
    )
    op.execute(
        extractions.insert().from_select(
            ["capture_id", "extractor", "options_digest", "version_id", "extracted_at"], backfill
        )
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_extractions_version_id"), table_name="extractions")
    op.drop_table("extractions")
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("definition")
