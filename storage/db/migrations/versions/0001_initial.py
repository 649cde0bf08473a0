"""Initial schema: publishers, stories and their sources, urls, captures, article versions, story
links, the article revisit schedule.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    # storage.db.models.UTCDateTime only converts values in Python; the column is this.
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "publishers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishers")),
        sa.UniqueConstraint("host", name=op.f("uq_publishers_host")),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
        sa.UniqueConstraint("name", name=op.f("uq_stories_name")),
    )
    op.create_table(
        "story_sources",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["publishers.id"],
            name=op.f("fk_story_sources_publisher_id_publishers"),
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_sources_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", "publisher_id", name=op.f("pk_story_sources")),
    )
    op.create_table(
        "urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_hash", sa.LargeBinary(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=True),
        sa.Column("canonical_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("discovered_via", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["canonical_id"],
            ["urls.id"],
            name=op.f("fk_urls_canonical_id_urls"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"], ["publishers.id"], name=op.f("fk_urls_publisher_id_publishers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urls")),
        sa.UniqueConstraint("url_hash", name=op.f("uq_urls_url_hash")),
    )
    op.create_index(op.f("ix_urls_canonical_id"), "urls", ["canonical_id"])
    op.create_index(op.f("ix_urls_publisher_id"), "urls", ["publisher_id"])
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", _timestamp(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("warc_filename", sa.Text(), nullable=False),
        sa.Column("warc_offset", sa.BigInteger(), nullable=False),
        sa.Column("warc_length", sa.BigInteger(), nullable=False),
        sa.Column("warc_record_id", sa.String(length=100), nullable=False),
        sa.Column("request_record_id", sa.String(length=100), nullable=True),
        sa.Column("payload_digest", sa.String(length=100), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("revisit_profile", sa.String(length=32), nullable=True),
        sa.Column("refers_to", sa.String(length=100), nullable=True),
        sa.Column("revisit_of_id", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["revisit_of_id"],
            ["captures.id"],
            name=op.f("fk_captures_revisit_of_id_captures"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_captures_url_id_urls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
        sa.UniqueConstraint("warc_record_id", name=op.f("uq_captures_warc_record_id")),
    )
    op.create_index(op.f("ix_captures_revisit_of_id"), "captures", ["revisit_of_id"])
    op.create_index("ix_captures_url_id_fetched_at", "captures", ["url_id", "fetched_at"])
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("modified", sa.Date(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("site_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=False),
        sa.Column("extractor", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
            name=op.f("fk_article_versions_capture_id_captures"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_article_versions_url_id_urls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("url_id", "version", name=op.f("uq_article_versions_url_id_version")),
    )
    op.create_index(op.f("ix_article_versions_capture_id"), "article_versions", ["capture_id"])
    op.create_table(
        "story_articles",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("relevance_score", sa.Double(), nullable=False),
        sa.Column("matched_terms", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_articles_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_story_articles_url_id_urls")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_story_articles_version_id_article_versions"),
        ),
        sa.PrimaryKeyConstraint("story_id", "url_id", name=op.f("pk_story_articles")),
    )
    op.create_index(op.f("ix_story_articles_url_id"), "story_articles", ["url_id"])
    op.create_table(
        "article_schedule",
        sa.Column("url_id", sa.Integer(), nullable=False),
        sa.Column("fetch_url_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("last_fetched", _timestamp(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("next_due_at", _timestamp(), nullable=True),
        sa.Column("gone_at", _timestamp(), nullable=True),
        sa.Column("gone_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fetch_url_id"], ["urls.id"], name=op.f("fk_article_schedule_fetch_url_id_urls")
        ),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_article_schedule_url_id_urls")
        ),
        sa.PrimaryKeyConstraint("url_id", name=op.f("pk_article_schedule")),
    )
    op.create_index(op.f("ix_article_schedule_fetch_url_id"), "article_schedule", ["fetch_url_id"])
    op.create_index(op.f("ix_article_schedule_next_due_at"), "article_schedule", ["next_due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_article_schedule_next_due_at"), table_name="article_schedule")
    op.drop_index(op.f("ix_article_schedule_fetch_url_id"), table_name="article_schedule")
    op.drop_table("article_schedule")
    op.drop_index(op.f("ix_story_articles_url_id"), table_name="story_articles")
    op.drop_table("story_articles")
    op.drop_index(op.f("ix_article_versions_capture_id"), table_name="article_versions")
    op.drop_table("article_versions")
    op.drop_index("ix_captures_url_id_fetched_at", table_name="captures")
    op.drop_index(op.f("ix_captures_revisit_of_id"), table_name="captures")
    op.drop_table("captures")
    op.drop_index(op.f("ix_urls_publisher_id"), table_name="urls")
    op.drop_index(op.f("ix_urls_canonical_id"), table_name="urls")
    op.drop_table("urls")
    op.drop_table("story_sources")
    op.drop_table("stories")
    op.drop_table("publishers")
