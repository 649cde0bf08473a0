"""The write's judgement of each capture (crawler/services/versions.py) through the repository, on
SQLite and PostgreSQL: walls make no version and no deletion but move the schedule on with
back-off, a suspected wall is settled against the last open version, the next open capture is
compared with the last open version, every version after the first has its kinds, the story's
`[versions]` ignore patterns suppress versions, and rights are recorded on the capture."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from crawler.core.access import AccessCheck, Evidence
from crawler.core.versioning import VersionRules, compile_ignore
from crawler.services.versions import decider
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.queries import captures, versions
from storage.db.records import PageRecord
from storage.db.repository import Repository
from tests.storage.db.factories import STORY, at, capture, page

A = "http://news.example:8080/2025/03/01/strike"
LONG = "\n".join(
    f"Paragraph {n} of the story tells how the dockers at the harbour went on strike for pay."
    for n in range(1, 9)
)
PAYWALL = AccessCheck("paywall", (Evidence("not-free", "isAccessibleForFree: false"),))
SUSPECT = AccessCheck("open", (Evidence("wall-text", "Subscribe"),), suspect="paywall")
CONSENT = AccessCheck("consent", (Evidence("cmp-markup", "OneTrust"),))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> Repository:
    repo = Repository(engine)
    repo.ensure_story(STORY)
    return repo


def write(repo: Repository, record: str, minutes: int, text: str | None, **marks: object) -> None:
    record_page = page(A, record, text=text, fetched_at=at(minutes))
    record_page = dataclasses.replace(record_page, **marks)  # type: ignore[arg-type]
    repo.write_batch(
        [capture(A, record, fetched_at=at(minutes), offset=minutes)],
        [record_page],
        None,
        decide=decider(),
    )


def schedule(engine: Engine) -> tuple[int, object, object]:
    s = m.ArticleSchedule
    with engine.connect() as conn:
        return tuple(conn.execute(select(s.unchanged_count, s.next_due_at, s.gone_at)).one())  # type: ignore[return-value]


def test_a_wall_is_no_version_and_the_next_open_capture_compares_with_the_last_open_one(
    repo: Repository, engine: Engine
) -> None:
    write(repo, "r1", 0, LONG)
    before = schedule(engine)
    teaser = LONG.split("\n")[0]
    write(repo, "r2", 60, teaser, access=PAYWALL)
    after = schedule(engine)
    assert after[0] == before[0] + 1 and after[1] is not None and after[2] is None
    write(repo, "r3", 120, None, access=CONSENT)
    write(repo, "r4", 180, LONG)  # the wall lifted: the same text as the last open one
    history = versions(engine, A)
    assert [v.number for v in history.versions] == [1]
    assert not history.deleted
    _, found = captures(engine, A)
    assert [(c.access, c.version) for c in found] == [
        ("open", 1), ("paywall", None), ("consent", None), ("open", 1)
    ]  # fmt: skip
    assert found[1].why == "walled: paywall" and found[1].access_reason
    assert found[2].why == "walled: consent"


def test_a_suspected_wall_is_settled_against_the_last_open_version(
    repo: Repository, engine: Engine
) -> None:
    write(repo, "r1", 0, LONG)
    write(repo, "r2", 60, LONG.split("\n")[0], access=SUSPECT)  # cut to an eighth: a paywall
    whole = LONG + "\nUpdate: the strike ended on Friday after the port agreed to talks."
    write(repo, "r3", 120, whole, access=SUSPECT)  # a subscribe box beside the whole text: open
    _, found = captures(engine, A)
    assert [(c.access, c.version) for c in found] == [("open", 1), ("paywall", None), ("open", 2)]
    assert found[1].access_reason and "truncated-vs-previous" in found[1].access_reason
    [_, second] = versions(engine, A).versions
    assert second.change_kinds == ["update"] and second.stealth is False


def test_a_first_capture_that_is_walled_is_no_article(repo: Repository, engine: Engine) -> None:
    write(repo, "r1", 0, None, access=CONSENT)
    assert versions(engine, A).versions == []
    with engine.connect() as conn:
        assert conn.execute(select(m.ArticleSchedule)).all() == []
    _, [found] = captures(engine, A)
    assert (found.access, found.version, found.why) == ("consent", None, "walled: consent")


def test_every_version_after_the_first_has_its_kinds(repo: Repository, engine: Engine) -> None:
    paragraphs = LONG.split("\n")
    write(repo, "r1", 0, LONG)
    removed = "\n".join(paragraphs[:3] + paragraphs[4:])
    write(repo, "r2", 60, removed)
    corrected = removed + "\nCorrection: An earlier version of this article misstated the pay."
    write(repo, "r3", 120, corrected)
    first, second, third = versions(engine, A).versions
    assert (first.change_kinds, first.stealth) == (None, None)
    assert (second.change_kinds, second.stealth) == (["removal"], True)
    assert (third.change_kinds, third.stealth) == (["correction"], False)


def test_ignore_patterns_suppress_versions(repo: Repository, engine: Engine) -> None:
    rules = VersionRules(ignore=(compile_ignore(r"\d+ views"),))
    for record, minutes, views in (("r1", 0, 10), ("r2", 60, 250)):
        repo.write_batch(
            [capture(A, record, fetched_at=at(minutes), offset=minutes)],
            [page(A, record, text=f"{LONG}\n{views} views", fetched_at=at(minutes))],
            None,
            decide=decider(rules),
        )
    assert len(versions(engine, A).versions) == 1
    # without the pattern, the counter makes a version
    repo.write_batch(
        [capture(A, "r3", fetched_at=at(120), offset=120)],
        [page(A, "r3", text=f"{LONG}\n900 views", fetched_at=at(120))],
        None,
        decide=decider(),
    )
    assert len(versions(engine, A).versions) == 2


def test_rights_are_recorded_on_the_capture(repo: Repository, engine: Engine) -> None:
    flagged: PageRecord = page(A, "r1", text=LONG)
    repo.write_batch(
        [capture(A, "r1")],
        [dataclasses.replace(flagged, rights="X-Robots-Tag: noarchive", noarchive=True)],
        None,
        decide=decider(),
    )
    _, [found] = captures(engine, A)
    assert (found.noarchive, found.rights) == (True, "X-Robots-Tag: noarchive")
