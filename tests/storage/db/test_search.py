"""Full-text search on SQLite and PostgreSQL: it finds what a hand-written SQL query finds, the
index follows every write (triggers, a generated column), and a migrated database is indexed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, func, select, text, update

from crawler.core.search import parse
from storage.db import models as m
from storage.db.queries import ArticleFilter, UnknownStory
from storage.db.repository import Repository
from storage.db.search import MARK_END, MARK_START, matching_steps, search, version_texts

from .searchdata import BASE, ELSEWHERE, write_archive

LIKE_ORACLE = """
SELECT u.url, v.version FROM article_versions v JOIN urls u ON u.id = v.url_id
WHERE ({where})
{current}
"""
CURRENT = (
    "AND v.version = (SELECT max(w.version) FROM article_versions w WHERE w.url_id = v.url_id)"
)
DOC = "(lower(coalesce(v.title, '')) || ' ' || lower(v.text))"


def like(word: str) -> str:
    """The hand-written condition for one word or phrase (the test texts hold no word that
    contains another one searched for)."""
    return f"{DOC} LIKE '%{word}%'"


CASES = [
    ("cecot", like("cecot")),
    ('"gang members"', like("gang members")),
    ("deport*", like("deport")),
    ("bukele NOT cecot", f"{like('bukele')} AND NOT {like('cecot')}"),
    ("cecot OR flights", f"{like('cecot')} OR {like('flights')}"),
    (
        "(prison OR salvador) AND NOT (cecot OR bukele)",
        f"({like('prison')} OR {like('salvador')}) AND NOT ({like('cecot')} OR {like('bukele')})",
    ),
    ("CeCoT terrorism", f"{like('cecot')} AND {like('terrorism')}"),
]


@pytest.fixture
def archive(repo: Repository, story_id: int) -> Engine:
    write_archive(repo, story_id)
    return repo.engine


def oracle(engine: Engine, where: str, *, current: bool) -> set[tuple[str, int]]:
    sql = LIKE_ORACLE.format(where=where, current=CURRENT if current else "")
    with engine.connect() as conn:
        return {(url, number) for url, number in conn.execute(text(sql))}


@pytest.mark.parametrize(("query", "where"), CASES, ids=[c[0] for c in CASES])
def test_search_finds_what_hand_written_sql_finds(archive: Engine, query: str, where: str) -> None:
    for all_versions in (False, True):
        found = search(archive, parse(query), all_versions=all_versions, limit=None)
        got = {(hit.url, hit.number) for hit in found.hits}
        assert got == oracle(archive, where, current=not all_versions), (query, all_versions)
        assert found.total == len(got)
    assert oracle(archive, like("cecot"), current=False)  # the oracle is not trivially empty


def test_hits_carry_snippets_with_marked_matches_and_the_current_flag(archive: Engine) -> None:
    found = search(archive, parse("cecot"), all_versions=True)
    by_key = {(hit.url, hit.number): hit for hit in found.hits}
    old = by_key[(f"{BASE}a", 1)]
    assert not old.current
    assert f"{MARK_START}CECOT{MARK_END}" in old.snippet
    assert by_key[(f"{BASE}e", 3)].current
    assert found.hits[0].score >= found.hits[-1].score
    title_only = by_key[(f"{BASE}b", 1)]
    assert f"{MARK_START}CECOT{MARK_END}" in title_only.snippet


def test_title_matches_rank_above_text_matches(archive: Engine) -> None:
    found = search(archive, parse("cecot"))
    assert found.hits[0].url == f"{BASE}b"  # CECOT in its title


def test_filters_story_publisher_and_limit(archive: Engine) -> None:
    query = parse("salvador OR prison OR strike")
    everything = search(archive, query, limit=None)
    assert len(everything.hits) == 4  # not e: its current version no longer says prison
    other = search(archive, query, ArticleFilter(publishers=("Other Times",)))
    assert [hit.url for hit in other.hits] == [f"{ELSEWHERE}c"]
    limited = search(archive, query, limit=2)
    assert (len(limited.hits), limited.total) == (2, 4)
    with pytest.raises(UnknownStory, match="stories: harbour-strike"):
        search(archive, query, ArticleFilter(story="nope"))
    assert search(archive, query, ArticleFilter(story="harbour-strike")).total == 4


def test_matching_steps_and_marked_texts(archive: Engine) -> None:
    steps, matched = matching_steps(archive, parse("cecot"))
    assert sorted({(s.url_id, s.number) for s in steps})[:1]  # articles a and e, all versions
    numbers = sorted((s.url_id, s.number) for s in steps)
    assert len(numbers) == 6  # a: 1-3, e: 1-3 (b has one version only)
    texts = version_texts(archive, parse("cecot"), [s.version_id for s in steps], matched)
    marked = [t for t in texts.values() if t.matched]
    assert len(marked) == 3
    assert all(f"{MARK_START}CECOT{MARK_END}" in t.text for t in marked)
    assert all(MARK_START not in t.text for t in texts.values() if not t.matched)


def test_the_index_follows_inserts_updates_and_deletes(archive: Engine) -> None:
    """Whoever writes a version (no newsarchive code here: plain statements), search sees it."""
    v = m.ArticleVersion
    with archive.begin() as conn:
        target = conn.execute(
            select(v.id).join(m.Url, m.Url.id == v.url_id).where(m.Url.url == f"{BASE}d")
        ).scalar_one()
        conn.execute(update(v).where(v.id == target).values(text="Now about zyxwords."))
    assert [h.url for h in search(archive, parse("zyxwords")).hits] == [f"{BASE}d"]
    assert search(archive, parse("dockers")).total == 0
    with archive.begin() as conn:
        conn.execute(update(v).where(v.id == target).values(last_seen=func.now()))
        conn.execute(update(v).where(v.id == target).values(title="Quux headline"))
    assert search(archive, parse("quux zyxwords")).total == 1
    with archive.begin() as conn:
        conn.execute(delete(m.Extraction).where(m.Extraction.version_id == target))
        conn.execute(delete(m.StoryArticle).where(m.StoryArticle.version_id == target))
        conn.execute(delete(v).where(v.id == target))
    assert search(archive, parse("zyxwords"), all_versions=True).total == 0
    if archive.dialect.name == "sqlite":
        with archive.begin() as conn:  # FTS5 compares its index with the content table
            conn.execute(
                text(
                    "INSERT INTO article_search(article_search, rank) VALUES ('integrity-check', 1)"
                )
            )
