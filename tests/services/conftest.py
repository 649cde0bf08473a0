"""Services run on a real database: the storage tests' fixtures (SQLite and PostgreSQL)."""

from tests.storage.db.conftest import engine, repo, story_id

__all__ = ["engine", "repo", "story_id"]
