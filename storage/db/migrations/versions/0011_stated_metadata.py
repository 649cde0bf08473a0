"""Stated metadata: the moment of publication and of the last modification, with the time zone
the page gave, when it states a time (`published`/`modified` keep the day), and where the
language came from (declared by the page, or detected from its text).

Versions stored before have none of them: their day-only dates and declared languages stay as
they were (`newsarchive reextract` fills them for a new extractor's versions).

Columns are added and dropped in place (SQLite 3.35 and later), so the table and its full-text
triggers are not rebuilt.

Revision ID: 0011_stated_metadata
Revises: 0012_capture_via
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_stated_metadata"
down_revision: str | Sequence[str] | None = "0008_access_rights_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("article_versions", sa.Column("published_time", sa.String(40), nullable=True))
    op.add_column("article_versions", sa.Column("modified_time", sa.String(40), nullable=True))
    op.add_column("article_versions", sa.Column("language_source", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("article_versions", "language_source")
    op.drop_column("article_versions", "modified_time")
    op.drop_column("article_versions", "published_time")
