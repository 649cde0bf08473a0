"""Re-extraction in the database, on SQLite and PostgreSQL: how the texts of captures extracted
again map to versions, what is recorded in `extractions`, and how the crawl's store path then
finds an article's current version."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, insert, select

from crawler.core.story import parse_story
from crawler.services.reextract import Summary, judging_stories
from storage.db import models as m
from storage.db import queries
from storage.db.engine import alembic_config, make_engine, open_database, upgrade_database
from storage.db.reextract import Reextracted, story_definitions
from storage.db.repository import Repository
from storage.db.urls import url_hash

from .factories import DAILY, EXTRACTOR, OFF_TOPIC, OPTIONS, at, capture, page

A = "http://news.example:8080/2025/strike"
T1 = "The dockers went on strike at the harbour."
T2 = "The dockers went on strike at the harbour. Talks resume on Monday."
U = "Dockers strike. The harbour is closed."
NEW_EXTRACTOR = "newsarchive 0.2.0 / trafilatura 9.9.9"
NEW_OPTIONS = "fedcba987654"

STORY_TOML = f"""
name = "harbour-strike"
title = "Harbour strike"
[match]
all = ["strike"]
any = ["Monday"]
[[sources]]
name = "{DAILY.name}"
url = "{DAILY.url}"
"""


def crawl(repo: Repository, story_id: int | None, *texts: str, start: int = 0) -> None:
    """Live crawl batches: capture `r{n}` of A at minute n, with text `texts[n - start]`."""
    for n, text in enumerate(texts, start=start):
        repo.write_batch(
            [capture(A, f"r{n}", fetched_at=at(n))],
            [page(A, f"r{n}", text=text, fetched_at=at(n))],
            story_id,
        )


def capture_ids(engine: Engine) -> dict[str, int]:
    """Capture ids by record name ('r0', 'r1', …)."""
    with engine.connect() as conn:
        rows = conn.execute(select(m.Capture.warc_record_id, m.Capture.id))
        return {record.removeprefix("<urn:uuid:").removesuffix(">"): id_ for record, id_ in rows}


def again(
    engine: Engine,
    texts: dict[str, str | None],
    extractor: str = NEW_EXTRACTOR,
    options: str = NEW_OPTIONS,
) -> list[Reextracted]:
    """Re-extraction results: capture `rN` now gives `texts['rN']` (None: not an article)."""
    ids = capture_ids(engine)
    results = []
    for record, text in texts.items():
        made = page(A, record, text=text).extraction
        assert made is not None
        extraction = replace(made, extractor=extractor, options_digest=options)
        n = int(record[1:])
        results.append(Reextracted(ids[record], A, DAILY.host, at(n), extraction))
    return results


def versions(engine: Engine) -> list[tuple[int, str, datetime, datetime, str, int | None]]:
    """(number, text, first seen, last seen, extractor, capture id) of A's versions."""
    v = m.ArticleVersion
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                v.version, v.text, v.first_seen, v.last_seen, v.extractor, v.capture_id
            ).order_by(v.version)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def mapped(engine: Engine, extractor: str, options: str) -> dict[int, int | None]:
    """Capture id → version number, for one extractor and options."""
    x, v = m.Extraction, m.ArticleVersion
    with engine.connect() as conn:
        rows = conn.execute(
            select(x.capture_id, v.version)
            .outerjoin(v, v.id == x.version_id)
            .where(x.extractor == extractor, x.options_digest == options)
        )
        return {capture_id: number for capture_id, number in rows}


def test_the_crawl_records_an_extraction_for_every_stored_page(
    repo: Repository, story_id: int
) -> None:
    crawl(repo, story_id, T1, T1, T2)
    repo.write_batch([capture(A, "r3", fetched_at=at(3))], [page(A, "r3", text=None)], story_id)
    ids = capture_ids(repo.engine)
    assert mapped(repo.engine, EXTRACTOR, OPTIONS) == {
        ids["r0"]: 1,
        ids["r1"]: 1,
        ids["r2"]: 2,
        ids["r3"]: None,
    }
    with repo.engine.connect() as conn:
        reason = conn.execute(
            select(m.Extraction.reason).where(m.Extraction.capture_id == ids["r3"])
        ).scalar_one()
    assert reason == "too-short"


def test_runs_of_one_text_map_to_one_version_and_equal_texts_reuse_versions(
    repo: Repository, story_id: int
) -> None:
    crawl(repo, story_id, T1, T1, T2, T2)
    counts = repo.write_reextracted(again(repo.engine, {"r0": T1, "r1": U, "r2": U, "r3": T2}))
    assert (counts.articles, counts.new_versions, counts.unchanged) == (4, 1, 2)
    assert versions(repo.engine) == [
        (1, T1, at(0), at(1), EXTRACTOR, capture_ids(repo.engine)["r0"]),
        (2, T2, at(2), at(3), EXTRACTOR, capture_ids(repo.engine)["r2"]),
        (3, U, at(1), at(2), NEW_EXTRACTOR, capture_ids(repo.engine)["r1"]),
    ]
    ids = capture_ids(repo.engine)
    assert mapped(repo.engine, NEW_EXTRACTOR, NEW_OPTIONS) == {
        ids["r0"]: 1,
        ids["r1"]: 3,
        ids["r2"]: 3,
        ids["r3"]: 2,
    }
    # the live crawl's record of the same captures stays
    assert mapped(repo.engine, EXTRACTOR, OPTIONS) == {
        ids["r0"]: 1,
        ids["r1"]: 1,
        ids["r2"]: 2,
        ids["r3"]: 2,
    }


def test_a_text_that_comes_back_reuses_the_version_of_its_own_capture(
    repo: Repository, story_id: int
) -> None:
    crawl(repo, story_id, T1, T2, T1)
    counts = repo.write_reextracted(
        again(repo.engine, {"r0": T1, "r1": T2, "r2": T1}, EXTRACTOR, OPTIONS)
    )
    assert (counts.new_versions, counts.unchanged) == (0, 3)
    ids = capture_ids(repo.engine)
    assert mapped(repo.engine, EXTRACTOR, OPTIONS) == {ids["r0"]: 1, ids["r1"]: 2, ids["r2"]: 3}


def test_the_same_extraction_again_creates_nothing(repo: Repository, story_id: int) -> None:
    crawl(repo, story_id, T1, T2)
    texts: dict[str, str | None] = {"r0": U, "r1": U}
    first = repo.write_reextracted(again(repo.engine, texts))
    before = versions(repo.engine)
    second = repo.write_reextracted(again(repo.engine, texts))
    assert (first.new_versions, second.new_versions, second.unchanged) == (1, 0, 2)
    assert versions(repo.engine) == before


def test_an_article_split_across_batches_ends_as_in_one_batch(
    repo: Repository, story_id: int
) -> None:
    crawl(repo, story_id, T1, T1, T2)
    texts: dict[str, str | None] = {"r0": U, "r1": U, "r2": T2}
    repo.write_reextracted(again(repo.engine, {"r0": U}))
    repo.write_reextracted(again(repo.engine, {"r1": U, "r2": T2}))
    split = (versions(repo.engine), mapped(repo.engine, NEW_EXTRACTOR, NEW_OPTIONS))

    with repo.engine.begin() as conn:
        for table in (m.Extraction, m.StoryArticle, m.ArticleSchedule, m.ArticleVersion):
            conn.execute(table.__table__.delete())
        conn.execute(m.Capture.__table__.delete())
    crawl(repo, story_id, T1, T1, T2)
    repo.write_reextracted(again(repo.engine, texts))
    whole = (versions(repo.engine), mapped(repo.engine, NEW_EXTRACTOR, NEW_OPTIONS))
    relabel = {v: k for k, v in capture_ids(repo.engine).items()}
    assert [v[:5] for v in split[0]] == [v[:5] for v in whole[0]]
    assert sorted(split[1].values()) == sorted(whole[1].values())
    assert {relabel[c] for c in whole[1]} == set(texts)


def test_new_versions_for_old_captures_do_not_fool_the_next_crawl(
    repo: Repository, story_id: int
) -> None:
    """Re-extraction gives the old captures a text of their own (version 3) while the latest
    capture keeps version 2: the next crawl with the new extractor compares with version 2."""
    crawl(repo, story_id, T1, T1, T2)
    repo.write_reextracted(again(repo.engine, {"r0": U, "r1": U, "r2": T2}))
    assert [v[:2] for v in versions(repo.engine)] == [(1, T1), (2, T2), (3, U)]

    repo.write_batch(
        [capture(A, "r3", fetched_at=at(3))],
        [page(A, "r3", text=T2, fetched_at=at(3), extractor=NEW_EXTRACTOR, options=NEW_OPTIONS)],
        story_id,
    )
    assert [v[:2] for v in versions(repo.engine)] == [(1, T1), (2, T2), (3, U)]
    assert versions(repo.engine)[1][3] == at(3)  # version 2 seen again

    # the history lists versions in the order they were first seen, the export the current one
    history = queries.versions(repo.engine, A)
    assert [v.number for v in history.versions] == [1, 3, 2]
    assert history.current == 2
    (row,) = queries.iter_articles(repo.engine)
    assert row["version"] == 2

    # and a later change is version 4, however the old captures were re-extracted
    crawl(repo, story_id, U, start=4)
    assert [v[:2] for v in versions(repo.engine)][-1] == (4, U)


def test_the_crawl_compares_with_its_own_extraction_of_the_latest_capture(
    repo: Repository, story_id: int
) -> None:
    """After a re-extraction with other options, a crawl still run with the old ones finds its
    own text unchanged."""
    crawl(repo, story_id, T1, T2)
    repo.write_reextracted(again(repo.engine, {"r0": U, "r1": U}))
    crawl(repo, story_id, T2, start=2)
    assert [v[:2] for v in versions(repo.engine)] == [(1, T1), (2, T2), (3, U)]


def test_not_an_article_any_more_is_recorded_with_its_reason(
    repo: Repository, story_id: int
) -> None:
    crawl(repo, story_id, T1)
    counts = repo.write_reextracted(again(repo.engine, {"r0": None}))
    assert (counts.articles, counts.not_articles, counts.new_versions) == (0, 1, 0)
    with repo.engine.connect() as conn:
        rows = conn.execute(
            select(m.Extraction.version_id, m.Extraction.reason).where(
                m.Extraction.extractor == NEW_EXTRACTOR
            )
        ).all()
    assert [tuple(r) for r in rows] == [(None, "too-short")]


def test_story_judgements_follow_the_current_version(repo: Repository) -> None:
    story_id = repo.ensure_story(parse_story(STORY_TOML))
    repo.write_batch([capture(A, "r0")], [page(A, "r0", text=T2, relevance=OFF_TOPIC)], story_id)
    summary = Summary()
    stories = judging_stories(story_definitions(repo.engine), summary)
    assert summary.unjudged_stories == []

    counts = repo.write_reextracted(again(repo.engine, {"r0": T2}), stories)
    assert counts.story_links == 1  # judged again: relevant (strike, Monday)
    counts = repo.write_reextracted(again(repo.engine, {"r0": T1}), stories)
    assert counts.story_links == 1  # a new version without "Monday"
    with repo.engine.connect() as conn:
        relevant, version = conn.execute(
            select(m.StoryArticle.relevant, m.ArticleVersion.version).join(
                m.ArticleVersion, m.ArticleVersion.id == m.StoryArticle.version_id
            )
        ).one()
    assert (relevant, version) == (False, 2)
    counts = repo.write_reextracted(again(repo.engine, {"r0": T1}), stories)
    assert counts.story_links == 0


def test_a_story_stored_without_its_file_is_not_judged(repo: Repository, story_id: int) -> None:
    summary = Summary()
    assert judging_stories(story_definitions(repo.engine), summary) == []
    assert summary.unjudged_stories == ["harbour-strike"]


def test_the_story_definition_is_stored_and_kept(repo: Repository) -> None:
    story = parse_story(STORY_TOML)
    repo.ensure_story(story)
    repo.ensure_story(replace(story, definition=None))
    (stored,) = story_definitions(repo.engine)
    assert stored.definition == STORY_TOML


def test_the_migration_records_the_extractions_of_existing_versions(db_url: str) -> None:
    """A database made before extractions were recorded gets one row per version's capture."""
    engine = make_engine(db_url)
    try:
        from alembic import command

        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
            publisher = conn.execute(
                insert(m.Publisher.__table__)
                .values(name="P", host="p.example", url="http://p.example/", created_at=at(0))
                .returning(m.Publisher.__table__.c.id)
            ).scalar_one()
            url_id = conn.execute(
                insert(m.Url.__table__)
                .values(url_hash=url_hash(A), url=A, publisher_id=publisher, first_seen=at(0))
                .returning(m.Url.__table__.c.id)
            ).scalar_one()
            capture_id = conn.execute(
                insert(m.Capture.__table__)
                .values(
                    url_id=url_id,
                    fetched_at=at(0),
                    status=200,
                    warc_filename="f.warc.gz",
                    warc_offset=0,
                    warc_length=1,
                    warc_record_id="<r0>",
                    payload_digest="sha1:X",
                    record_type="response",
                )
                .returning(m.Capture.__table__.c.id)
            ).scalar_one()
            for number, capture_ref in ((1, capture_id), (2, None)):
                conn.execute(
                    insert(m.ArticleVersion.__table__).values(
                        url_id=url_id,
                        version=number,
                        authors=[],
                        text=T1,
                        text_sha256="s",
                        word_count=1,
                        capture_id=capture_ref,
                        first_seen=at(number),
                        last_seen=at(number),
                        extractor="trafilatura 2.3.1",
                    )
                )
    finally:
        engine.dispose()
    upgrade_database(db_url)  # what `newsarchive db upgrade` does
    migrated = open_database(db_url)
    try:
        with migrated.connect() as conn:
            rows = conn.execute(
                select(
                    m.Extraction.capture_id,
                    m.Extraction.extractor,
                    m.Extraction.options_digest,
                    m.Extraction.reason,
                    m.Extraction.extracted_at,
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                (capture_id, "trafilatura 2.3.1", "unknown", None, at(1))
            ]
        assert queries.versions(migrated, A).current == 2
    finally:
        migrated.dispose()


def test_a_page_stored_twice_in_one_batch_records_one_extraction(
    repo: Repository, story_id: int
) -> None:
    repo.write_batch([capture(A, "r0")], [page(A, "r0", text=T1), page(A, "r0", text=T2)], story_id)
    ids = capture_ids(repo.engine)
    assert mapped(repo.engine, EXTRACTOR, OPTIONS) == {ids["r0"]: 2}
