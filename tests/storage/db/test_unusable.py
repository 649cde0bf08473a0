"""A database that cannot be used is one `DatabaseUnusable` with a one-line reason, whatever the
cause; a database that cannot be written is found before any work; no directory is made for a
database URL unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from storage.db.engine import (
    DatabaseUnusable,
    check_writable,
    open_database,
    upgrade_database,
)
from tests.conftest import postgres_schema


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("garbage", "not a database URL"),
        ("nosuch://host/db", "no database dialect 'nosuch'"),
        ("mysql://user@127.0.0.1/db", "its driver is not installed"),
        ("postgresql+psycopg://nobody@127.0.0.1:9/db", "connection"),
    ],
)
def test_urls_that_cannot_work(url: str, reason: str) -> None:
    for create in (True, False):
        with pytest.raises(DatabaseUnusable) as caught:
            open_database(url, create=create)
        assert reason in caught.value.reason
        assert "\n" not in str(caught.value)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n")
    with pytest.raises(DatabaseUnusable, match="file is not a database"):
        open_database(f"sqlite:///{path}")


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnusable, match="is a directory"):
        open_database(f"sqlite:///{tmp_path}")


def test_no_directory_is_made_unless_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}"
    with pytest.raises(DatabaseUnusable, match="no such directory"):
        open_database(url, make_dirs=False)
    with pytest.raises(DatabaseUnusable, match="no such directory"):
        upgrade_database(url)
    assert not (tmp_path / "a").exists()
    open_database(url).dispose()  # the crawl's components: the data directory is theirs
    assert (tmp_path / "a" / "b" / "x.db").is_file()


def test_a_read_only_database_is_found_before_any_write(tmp_path: Path) -> None:
    path = tmp_path / "newsarchive.db"
    open_database(f"sqlite:///{path}").dispose()
    engine = open_database(f"sqlite:///file:{path}?mode=ro&uri=true", create=False)
    try:
        with pytest.raises(
            DatabaseUnusable, match="cannot be written: attempt to write a readonly"
        ):
            check_writable(engine)
    finally:
        engine.dispose()


def test_a_writable_database_passes_and_is_unchanged(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        check_writable(engine)
        check_writable(engine)
    finally:
        engine.dispose()


def test_a_password_is_not_shown(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnusable) as caught:
        open_database("postgresql+psycopg://user:secret@127.0.0.1:9/db")
    assert "secret" not in str(caught.value)
    assert make_url(caught.value.url).password == "***"


def test_a_read_only_postgresql_session_is_found_before_any_write(postgres_server: URL) -> None:
    with postgres_schema(postgres_server) as db_url:
        open_database(db_url).dispose()
        url = make_url(db_url)
        options = f"{url.query['options']} -c default_transaction_read_only=on"
        engine = open_database(url.update_query_dict({"options": options}).render_as_string(False))
        try:
            with pytest.raises(
                DatabaseUnusable, match=r"cannot be written: .*read-only transaction"
            ):
                check_writable(engine)
        finally:
            engine.dispose()
