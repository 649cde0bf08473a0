"""Syndication clusters: each article's MinHash signature and cluster, and its LSH band keys.

Revision ID: 0003_clusters
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_clusters"
down_revision: str | Sequence[str] | None = "0002_extractions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_signatures",
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.String(length=100), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("is_original", sa.Boolean(), nullable=False),
        # storage.db.models.UTCDateTime only converts values in Python; the column is this.
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_article_signatures_url_id_urls")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_article_signatures_version_id_article_versions"),
        ),
        sa.PrimaryKeyConstraint("url_id", name=op.f("pk_article_signatures")),
    )
    op.create_index(op.f("ix_article_signatures_cluster_id"), "article_signatures", ["cluster_id"])
    op.create_table(
        "article_bands",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["url_id"],
            ["article_signatures.url_id"],
            name=op.f("fk_article_bands_url_id_article_signatures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "url_id", name=op.f("pk_article_bands")),
    )
    op.create_index(op.f("ix_article_bands_url_id"), "article_bands", ["url_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_article_bands_url_id"), table_name="article_bands")
    op.drop_table("article_bands")
    op.drop_index(op.f("ix_article_signatures_cluster_id"), table_name="article_signatures")
    op.drop_table("article_signatures")
