"""Capture `requisites_asked`: a crawl asked for the requisites of the page this capture stands
for (its own body, or for a revisit the body it refers to). An unchanged page whose requisites no
crawl asked for is read for them again; one whose were is not. Existing captures: false (their
pages are read once more by the next crawl that finds them unchanged).

Revision ID: 0013_requisites_asked
Revises: 0011_stated_metadata
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_requisites_asked"
down_revision: str | Sequence[str] | None = "0011_stated_metadata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(
            sa.Column("requisites_asked", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("requisites_asked")
