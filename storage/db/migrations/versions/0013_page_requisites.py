"""Page requisites: the requisite URLs found in a page's body, by the record that holds it, so
that a recrawl that gets the same bytes again does not read them for requisites it already has.

Pages archived before have no row: a crawl that gets one of them again reads it, as before, and
adds its row.

Revision ID: 0013_page_requisites
Revises: 0011_stated_metadata
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_page_requisites"
down_revision: str | Sequence[str] | None = "0011_stated_metadata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_requisites",
        sa.Column("record_id", sa.String(length=100), primary_key=True),
        sa.Column("urls", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("page_requisites")
