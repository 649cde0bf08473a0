"""Full-text search over every article version: on SQLite an FTS5 table over `article_versions`
kept by triggers, on PostgreSQL a generated tsvector column with a GIN index (see
storage/db/fts.py, whose statements these are as of this revision: a revision is history, so it
holds its own copy). The versions already stored are indexed.

Revision ID: 0007_search
Revises: 0005_capture_flags
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_search"
down_revision: str | Sequence[str] | None = "0005_capture_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW = "(rowid, title, text) VALUES ({0}.id, {0}.title, {0}.text)"
_DELETE = (
    "INSERT INTO article_search(article_search, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text)"
)
SQLITE = (
    "CREATE VIRTUAL TABLE article_search USING fts5(title, text, content='article_versions', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER article_search_insert AFTER INSERT ON article_versions BEGIN "
    f"INSERT INTO article_search{_ROW.format('new')}; END",
    "CREATE TRIGGER article_search_update AFTER UPDATE OF title, text ON article_versions BEGIN "
    f"{_DELETE}; INSERT INTO article_search{_ROW.format('new')}; END",
    f"CREATE TRIGGER article_search_delete AFTER DELETE ON article_versions BEGIN {_DELETE}; END",
    "INSERT INTO article_search(article_search) VALUES ('rebuild')",
)
POSTGRESQL = (
    "ALTER TABLE article_versions ADD COLUMN search_document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, left(text, 500000)), 'B')) STORED",
    "CREATE INDEX ix_article_versions_search_document ON article_versions "
    "USING gin (search_document)",
)


def upgrade() -> None:
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER article_search_{trigger}")
        op.execute("DROP TABLE article_search")
    else:
        op.execute("DROP INDEX ix_article_versions_search_document")
        op.execute("ALTER TABLE article_versions DROP COLUMN search_document")
