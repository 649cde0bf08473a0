from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage.db.engine import open_database
from storage.db.repository import Repository

from .factories import STORY


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> Repository:
    return Repository(engine)


@pytest.fixture
def story_id(repo: Repository) -> int:
    """The factories' story, recorded with its two publishers."""
    return repo.ensure_story(STORY)
