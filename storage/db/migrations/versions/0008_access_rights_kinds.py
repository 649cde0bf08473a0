"""Access, rights and edit kinds (issue 16): whether each capture asked not to be archived and was
flagged for it (`captures.noarchive`, `captures.rights`), what each extraction of a capture showed
(`extractions.access`: open, paywall, consent, login, challenge; `extractions.access_reason`, its
evidence), and how each version after an article's first differs from the one before it
(`article_versions.change_kinds`, `article_versions.stealth`).

Existing rows get none of it: captures are not flagged, extractions' access is unknown (NULL),
versions have no kinds. Columns are added in place (no table is rebuilt, so the full-text index
of `article_versions`, storage/db/fts.py, stays as it is).

Revision ID: 0008_access_rights_kinds
Revises: 0010_warc_files (re-chained after main merged 0010 first)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_access_rights_kinds"
down_revision: str | Sequence[str] | None = "0012_capture_via"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "captures",
        sa.Column("noarchive", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("captures", sa.Column("rights", sa.Text(), nullable=True))
    op.add_column("extractions", sa.Column("access", sa.String(length=16), nullable=True))
    op.add_column("extractions", sa.Column("access_reason", sa.Text(), nullable=True))
    op.add_column("article_versions", sa.Column("change_kinds", sa.JSON(), nullable=True))
    op.add_column("article_versions", sa.Column("stealth", sa.Boolean(), nullable=True))


def downgrade() -> None:
    for table, column in (
        ("article_versions", "stealth"),
        ("article_versions", "change_kinds"),
        ("extractions", "access_reason"),
        ("extractions", "access"),
        ("captures", "rights"),
        ("captures", "noarchive"),
    ):
        op.drop_column(table, column)
