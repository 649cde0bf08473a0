"""The full-text index is DDL outside the models (storage/db/fts.py): the migration makes exactly
what fts.py describes, on both backends; `create_all` makes the same; an existing database is
indexed by the upgrade; a downgrade takes it away."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, create_engine, insert, select, text

from crawler.core.search import parse
from storage.db import fts
from storage.db import models as m
from storage.db.engine import alembic_config, make_engine, open_database, upgrade_database
from storage.db.search import search
from storage.db.urls import url_hash

from .factories import T0

BEFORE = "0005_capture_flags"


def sqlite_objects(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            name: sql
            for name, sql in conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE name = :table "
                    "OR (type = 'trigger' AND tbl_name = 'article_versions')"
                ),
                {"table": fts.SEARCH_TABLE},
            )
        }


def postgres_objects(engine: Engine) -> tuple[str | None, str | None]:
    with engine.connect() as conn:
        generated = conn.execute(
            text(
                "SELECT generation_expression FROM information_schema.columns WHERE "
                "table_schema = current_schema() AND table_name = 'article_versions' "
                "AND column_name = :column AND is_generated = 'ALWAYS'"
            ),
            {"column": fts.SEARCH_COLUMN},
        ).scalar_one_or_none()
        index = conn.execute(
            text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname = :name"
            ),
            {"name": fts.SEARCH_INDEX},
        ).scalar_one_or_none()
    return generated, index


def test_the_migration_makes_what_fts_py_describes(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        made = sqlite_objects(engine)
        assert sorted(made) == sorted((fts.SEARCH_TABLE, *fts.TRIGGERS))
        assert sorted(made.values()) == sorted(fts.SQLITE_CREATE)
    else:
        generated, index = postgres_objects(engine)
        assert generated is not None and "to_tsvector('simple'::regconfig" in generated
        assert "setweight" in generated and str(fts.PG_TEXT_LIMIT) in generated
        assert index is not None and "USING gin (search_document)" in index


def test_create_all_makes_the_same_search_objects(tmp_path: Path, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # create_all on PostgreSQL is the same DDL, through the same listener
    made = create_engine(f"sqlite:///{tmp_path / 'made.db'}")
    try:
        m.Base.metadata.create_all(made)
        assert sqlite_objects(made) == sqlite_objects(engine)
    finally:
        made.dispose()


def test_upgrading_an_existing_database_indexes_its_versions(db_url: str) -> None:
    old = make_engine(db_url)
    try:
        with old.begin() as conn:
            command.upgrade(alembic_config(conn), BEFORE)
            url_id = conn.execute(
                insert(m.Url)
                .values(
                    url_hash=url_hash("http://x.example/a"), url="http://x.example/a", first_seen=T0
                )
                .returning(m.Url.id)
            ).scalar_one()
            conn.execute(
                insert(m.ArticleVersion).values(
                    url_id=url_id, version=1, title="Stored before search", authors=[],
                    text="An older archive mentions Tecoluca.", text_sha256="0" * 64,
                    word_count=5, first_seen=T0, last_seen=T0, extractor="x",
                )
            )  # fmt: skip
    finally:
        old.dispose()
    upgrade_database(db_url)
    engine = open_database(db_url, create=False)
    try:
        found = search(engine, parse("tecoluca"))
        assert [hit.title for hit in found.hits] == ["Stored before search"]
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), BEFORE)
        if engine.dialect.name == "sqlite":
            assert sqlite_objects(engine) == {}
        else:
            assert postgres_objects(engine) == (None, None)
        with engine.connect() as conn:  # the versions themselves stay
            assert conn.execute(select(m.ArticleVersion.title)).scalars().all() == [
                "Stored before search"
            ]
    finally:
        engine.dispose()
