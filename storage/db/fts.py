"""The full-text search index over every article version: its DDL on each backend.

The index is kept by the database itself, so every write path (a crawl, ingest, re-extraction,
whatever writes a version next) keeps it current without knowing of it:

- **SQLite**: an FTS5 table `article_search` over `article_versions` (title, text) as its
  external content (the text is not stored twice), kept by triggers on insert, update of title or
  text, and delete. Tokens are Unicode words, case- and accent-folded (`unicode61
  remove_diacritics 2`), as the relevance rules fold terms (`crawler.core.normalise.fold`).
- **PostgreSQL**: a generated `tsvector` column `article_versions.search_document` (title
  weighted A, text B) with a GIN index. The `simple` configuration lower-cases words and neither
  stems nor drops stop words: the archive holds every language, and a stemmer for one language
  mangles the others (`english` turns "Bukele" into "bukel" and drops "the"); a search for a
  word finds that word. It does not fold accents. A tsvector holds at most 1 MB, so the first
  `PG_TEXT_LIMIT` characters of a text are indexed.

These objects are not SQLAlchemy tables or columns (the models are the same on both backends),
so Alembic's comparison of schema and models leaves them out through `include_name`, and
`tests/storage/db/test_search_schema.py` checks them instead. A migration that rebuilds
`article_versions` on SQLite (Alembic's batch "move and copy") drops its triggers: it must run
`create_statements` again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SEARCH_TABLE = "article_search"
"""SQLite: the FTS5 table; its rowid is `article_versions.id`."""
SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
"""The tables FTS5 keeps beside it (no `_content` for an external-content table)."""
SEARCH_COLUMN = "search_document"
"""PostgreSQL: the generated tsvector column of `article_versions`."""
SEARCH_INDEX = "ix_article_versions_search_document"
CONFIG = "simple"
"""PostgreSQL's text search configuration, for documents and queries alike."""
TOKENIZE = "unicode61 remove_diacritics 2"
PG_TEXT_LIMIT = 500_000
"""Characters of each text PostgreSQL indexes (a tsvector over 1 MB is an error, which would
fail the write of the version)."""
TRIGGERS = ("article_search_insert", "article_search_update", "article_search_delete")

_FTS_ROW = "(rowid, title, text) VALUES ({0}.id, {0}.title, {0}.text)"
_FTS_DELETE = (
    f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text)"
)

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(title, text, content='article_versions', "
    f"content_rowid='id', tokenize='{TOKENIZE}')",
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON article_versions BEGIN "
    f"INSERT INTO {SEARCH_TABLE}{_FTS_ROW.format('new')}; END",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE OF title, text ON article_versions BEGIN "
    f"{_FTS_DELETE}; INSERT INTO {SEARCH_TABLE}{_FTS_ROW.format('new')}; END",
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON article_versions BEGIN {_FTS_DELETE}; END",
)
SQLITE_BUILD = f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('rebuild')"
"""Index the versions already stored (a migrated database)."""
SQLITE_DROP = (*(f"DROP TRIGGER {name}" for name in TRIGGERS), f"DROP TABLE {SEARCH_TABLE}")

PG_DOCUMENT = (
    f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(title, '')), 'A') || "
    f"setweight(to_tsvector('{CONFIG}'::regconfig, left(text, {PG_TEXT_LIMIT})), 'B')"
)
POSTGRESQL_CREATE = (
    f"ALTER TABLE article_versions ADD COLUMN {SEARCH_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED",
    f"CREATE INDEX {SEARCH_INDEX} ON article_versions USING gin ({SEARCH_COLUMN})",
)
POSTGRESQL_DROP = (
    f"DROP INDEX {SEARCH_INDEX}",
    f"ALTER TABLE article_versions DROP COLUMN {SEARCH_COLUMN}",
)


def create_statements(dialect: str) -> Sequence[str]:
    """The DDL that makes the index on `dialect` ('sqlite' or 'postgresql'), filled or not."""
    return _pick(dialect, (*SQLITE_CREATE, SQLITE_BUILD), POSTGRESQL_CREATE)


def drop_statements(dialect: str) -> Sequence[str]:
    return _pick(dialect, SQLITE_DROP, POSTGRESQL_DROP)


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's `include_name` hook: whether a reflected object is compared with the models.
    The search objects are not models (see the module's docstring), so they are left out."""
    if type_ == "table" and name is not None:
        return name != SEARCH_TABLE and not (
            name.startswith(SEARCH_TABLE) and name[len(SEARCH_TABLE) :] in SHADOW_SUFFIXES
        )
    if type_ == "column":
        return not (name == SEARCH_COLUMN and parent_names.get("table_name") == "article_versions")
    if type_ == "index":
        return name != SEARCH_INDEX
    return True


def _pick(dialect: str, sqlite: Sequence[str], postgresql: Sequence[str]) -> Sequence[str]:
    if dialect == "sqlite":
        return sqlite
    if dialect == "postgresql":
        return postgresql
    raise NotImplementedError(f"no full-text search for the {dialect} backend")
