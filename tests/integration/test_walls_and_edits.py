"""Issue 16 on real crawls of the simulated web with walls, edit kinds and rights signals, one
crawl per round (0 to 3) with a test clock: walls are captures, never versions or deletions, and
the walled URL keeps its schedule with back-off; a first crawl that meets a wall stores no
article and its outcome names the wall; each rewrite is stored with its kinds and stealth; pages
that ask not to be archived are flagged (the default policy) and left out of exports.
"""

from __future__ import annotations

import gzip
import json
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from warcio.archiveiterator import ArchiveIterator

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.queries import ArticleFilter, UnknownUrl, article_rows, captures, versions
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow

HOURS = (0, 2, 10, 40)
"""The test clock of each round's crawl: every article revisited is due again."""


@dataclass
class Rounds:
    web: SimWeb
    data: Path
    story: Path
    started: datetime
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    """When each round's crawl ran (real time: the captures' dates)."""
    schedules: list[dict[str, tuple[int, datetime | None, datetime | None]]] = field(
        default_factory=list
    )
    """After each round: {article URL: (unchanged_count, next_due_at, gone_at)}."""
    runs: list[int] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        return open_database(f"sqlite:///{self.data / 'newsarchive.db'}")

    def round_of(self, moment: datetime) -> int:
        return next(n for n, (a, b) in enumerate(self.windows) if a <= moment <= b)


def _schedules(engine: Engine) -> dict[str, tuple[int, datetime | None, datetime | None]]:
    s = m.ArticleSchedule
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, s.unchanged_count, s.next_due_at, s.gone_at).join(
                m.Url, m.Url.id == s.url_id
            )
        )
        return {url: (count, due, gone) for url, count, due, gone in rows}


def _last_run(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(m.CrawlRun.id).order_by(m.CrawlRun.id.desc())).scalars().first()


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rounds]:
    tmp = tmp_path_factory.mktemp("walls")
    with SimWeb(walls=True, edits=True, rights=True) as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml() + '\n[archive]\nnoarchive = "flag"\n')
        state = Rounds(web, tmp / "data", story, datetime.now(UTC))
        assert web.truth.timeline.last_round == len(HOURS) - 1
        for n, hours in enumerate(HOURS):
            web.set_round(n)
            now = state.started + timedelta(hours=hours)
            began = datetime.now(UTC)
            result = run_newsarchive(
                "crawl", str(story), "--data", str(state.data), *FAST,
                "-s", f"NEWSARCHIVE_NOW={now.isoformat()}", timeout=600,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
            state.windows.append((began, datetime.now(UTC)))
            engine = state.engine
            state.schedules.append(_schedules(engine))
            state.runs.append(_last_run(engine))
            engine.dispose()
        yield state


def test_no_wall_becomes_a_version_or_a_deletion(rounds: Rounds) -> None:
    walls = rounds.web.truth.walls
    assert walls is not None
    engine = rounds.engine
    timeline = rounds.web.truth.timeline
    for article in walls.articles:
        history = versions(engine, normalise_url(article.url))
        expected = timeline.history(article.url).versions_by(timeline.last_round)
        assert len(history.versions) == expected, (article.url, article.wall.kind)
        assert not history.deleted, article.url
        for version in history.versions:
            assert rounds.round_of(version.first_seen) not in article.rounds, article.url


def test_each_capture_has_its_access(rounds: Rounds) -> None:
    walls = rounds.web.truth.walls
    assert walls is not None
    engine = rounds.engine
    checked = 0
    for article in walls.articles:
        _, found = captures(engine, normalise_url(article.url))
        judged = [c for c in found if c.access is not None]
        assert judged, article.url
        for capture in judged:
            n = rounds.round_of(capture.captured_at)
            if n in article.rounds:
                assert capture.access == article.wall.kind, (article.url, n, capture)
                assert capture.version is None and (capture.why or "").startswith("walled")
                assert capture.access_reason, capture
            else:
                assert capture.access == "open", (article.url, n, capture)
                assert capture.version is not None, capture
            checked += 1
    assert checked >= 2 * len(walls.articles)


def test_walled_urls_keep_their_schedule_and_back_off(rounds: Rounds) -> None:
    walls = rounds.web.truth.walls
    assert walls is not None
    backed_off = 0
    for wall in walls.served:
        if not wall.seen_open:
            continue
        url = normalise_url(wall.url)
        before = rounds.schedules[wall.round - 1][url]
        after = rounds.schedules[wall.round][url]
        assert after[2] is None, (wall, "a wall is no deletion")
        assert after[1] is not None, (wall, "a walled URL keeps its schedule")
        assert after[0] == before[0] + 1, (wall, before, after)  # the interval grows
        backed_off += 1
    assert backed_off >= 8


def test_a_first_crawl_wall_is_a_capture_with_its_reason_not_an_article(rounds: Rounds) -> None:
    walls = rounds.web.truth.walls
    assert walls is not None
    first = [w for w in walls.served if not w.seen_open]
    assert {w.kind for w in first} == {"consent", "challenge"}
    engine = rounds.engine
    with engine.connect() as conn:
        outcomes = {
            url: (outcome, reason, detail)
            for url, outcome, reason, detail in conn.execute(
                select(m.UrlOutcome.url, m.UrlOutcome.outcome, m.UrlOutcome.reason,
                       m.UrlOutcome.detail).where(m.UrlOutcome.run_id == rounds.runs[0])
            )
        }  # fmt: skip
    for wall in first:
        url = normalise_url(wall.url)
        outcome, reason, detail = outcomes[url]
        assert (outcome, reason) == ("stored", f"wall-{wall.kind}"), (wall, detail)
        assert detail and detail.startswith(wall.kind)
        history = versions(engine, url)
        # its first version is the first open round's, never round 0's wall
        assert history.versions, wall
        assert rounds.round_of(history.versions[0].first_seen) > 0, wall
        _, found = captures(engine, url)
        first_capture = next(c for c in found if c.access is not None)
        assert first_capture.access == wall.kind and first_capture.version is None


def test_each_rewrite_is_stored_with_its_kinds_and_stealth(rounds: Rounds) -> None:
    edits = rounds.web.truth.edits
    assert len(edits) >= 15
    engine = rounds.engine
    for edit in edits:
        history = versions(engine, normalise_url(edit.url))
        made = [v for v in history.versions if rounds.round_of(v.first_seen) == edit.round]
        if not edit.new_text:  # a byline alone: no version
            assert not made, edit
            continue
        assert len(made) == 1, (edit, [v.number for v in history.versions])
        [version] = made
        assert set(version.change_kinds or ()) == edit.kinds, (edit, version.change_kinds)
        assert version.stealth is edit.stealth, (edit, version.change_kinds)
    for history in (versions(engine, normalise_url(e.url)) for e in edits):
        assert history.versions[0].change_kinds is None  # a first version has no kinds


def test_history_json_and_captures_show_kinds_access_and_rights(rounds: Rounds) -> None:
    edit = next(e for e in rounds.web.truth.edits if e.stealth)
    result = run_newsarchive("history", edit.url, "--data", str(rounds.data), "--format", "json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed[0]["change_kinds"] is None and listed[0]["stealth"] is None
    [made] = [
        row
        for row in listed
        if rounds.round_of(datetime.fromisoformat(row["first_seen"])) == edit.round
    ]
    assert set(made["change_kinds"]) == edit.kinds and made["stealth"] is True
    walls = rounds.web.truth.walls
    assert walls is not None
    wall = next(w for w in walls.served if w.kind == "paywall")
    result = run_newsarchive(
        "history", wall.url, "--captures", "--format", "json", "--data", str(rounds.data)
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    walled = [r for r in rows if r["access"] == "paywall"]
    assert walled and all(r["version"] is None and r["why"] for r in walled)
    assert {"captured_at", "status", "access", "noarchive", "version", "why", "warc_filename",
            "warc_offset"} <= set(rows[0])  # fmt: skip
    text = run_newsarchive("history", wall.url, "--captures", "--data", str(rounds.data))
    assert text.returncode == 0 and "paywall" in text.stdout


def test_noarchive_pages_are_flagged_and_left_out_of_exports(rounds: Rounds) -> None:
    signals = rounds.web.truth.rights
    assert len(signals) == 7
    engine = rounds.engine
    asking = {normalise_url(s.url) for s in signals if s.applies}
    for signal in signals:
        _, found = captures(engine, normalise_url(signal.url))
        pages = [c for c in found if c.access is not None]
        assert pages, signal
        for capture in pages:
            assert capture.noarchive is signal.applies, (signal, capture)
            assert (capture.rights is not None) is signal.applies, (signal, capture)
    exported = {row["url"] for row in article_rows(engine)}
    assert not asking & exported
    everything = {row["url"] for row in article_rows(engine, ArticleFilter(include_noarchive=True))}
    assert asking <= everything
    out = run_newsarchive("export", "--data", str(rounds.data), "--include-noarchive")
    assert out.returncode == 0, out.stderr
    assert asking <= {json.loads(line)["url"] for line in out.stdout.splitlines()}


def test_the_edits_verb_lists_the_story_edits_newest_first(rounds: Rounds) -> None:
    story = tomllib.loads(rounds.web.story_toml())["name"]
    result = run_newsarchive(
        "edits", "--story", story, "--format", "json", "--data", str(rounds.data)
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    seen = [row["first_seen"] for row in listed]
    assert seen == sorted(seen, reverse=True)
    assert all(row["change_kinds"] for row in listed)
    stealth = run_newsarchive(
        "edits", "--story", story, "--kind", "removal", "--format", "json",
        "--data", str(rounds.data),
    )  # fmt: skip
    assert stealth.returncode == 0, stealth.stderr
    removals = json.loads(stealth.stdout)
    assert removals and all("removal" in row["change_kinds"] for row in removals)


def test_unknown_url_is_unknown(rounds: Rounds) -> None:
    with pytest.raises(UnknownUrl):
        captures(rounds.engine, "http://127.0.0.1:1/nothing")


def test_wacz_leaves_out_the_flagged_captures_unless_asked(rounds: Rounds, tmp_path: Path) -> None:
    story = tomllib.loads(rounds.web.story_toml())["name"]
    asking = {normalise_url(s.url) for s in rounds.web.truth.rights if s.applies}
    found = {}
    for extra in ((), ("--include-noarchive",)):
        out = tmp_path / f"x{len(extra)}.wacz"
        result = run_newsarchive(
            "wacz", "--story", story, "-o", str(out), "--data", str(rounds.data), *extra
        )
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(out) as wacz:
            index = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode()
            pages = wacz.read("pages/pages.jsonl").decode()
        indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index.splitlines()}
        listed = {json.loads(line).get("url") for line in pages.splitlines()[1:]}
        found[bool(extra)] = (
            {normalise_url(u) for u in indexed if u.startswith("http")},
            {normalise_url(u) for u in listed if u},
        )
        if not extra:
            assert "captures flagged noarchive, left out" in result.stderr
    indexed, listed = found[False]
    assert not asking & indexed and not asking & listed
    indexed, listed = found[True]
    assert asking <= indexed


def test_the_report_says_what_changed(rounds: Rounds, tmp_path: Path) -> None:
    story = tomllib.loads(rounds.web.story_toml())["name"]
    out = tmp_path / "report.html"
    result = run_newsarchive("report", "--story", story, "-o", str(out), "--data", str(rounds.data))
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    changed = page.split('id="what-changed"', 1)[1].split("<h2", 1)[0]
    for kind in ("headline", "correction", "update", "removal", "substantive"):
        assert f"<td>{kind}</td>" in changed, kind
    rows = changed.split("<tbody>")[2].split("</tr>")
    stealth = ["<b>stealth</b>" in row for row in rows if "<td>" in row]
    assert any(stealth) and stealth == sorted(stealth, reverse=True)  # stealth edits first
    assert "Walled captures" in changed and "consent" in changed and "paywall" in changed
    assert "Noarchive captures" in changed and "left out of this report" in changed


def test_reextraction_keeps_walls_out_of_versions(rounds: Rounds) -> None:
    """Last: it rewrites the extractions of every capture the tests above read."""
    engine = rounds.engine
    walls = rounds.web.truth.walls
    assert walls is not None
    before = {a.url: versions(engine, normalise_url(a.url)).versions for a in walls.articles}
    result = run_newsarchive("reextract", "--all", "--workers", "1", "--data", str(rounds.data))
    assert result.returncode == 0, result.stderr
    for article in walls.articles:
        after = versions(engine, normalise_url(article.url)).versions
        assert [v.text_sha256 for v in after] == [v.text_sha256 for v in before[article.url]]
    test_each_capture_has_its_access(rounds)


@dataclass
class PolicyCrawl:
    policy: str
    web: SimWeb
    data: Path

    @property
    def engine(self) -> Engine:
        return open_database(f"sqlite:///{self.data / 'newsarchive.db'}")


@pytest.fixture(scope="module", params=["obey", "ignore"])
def policy_crawl(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PolicyCrawl]:
    policy = request.param
    tmp = tmp_path_factory.mktemp(f"noarchive-{policy}")
    with SimWeb(rights=True) as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml() + f'\n[archive]\nnoarchive = "{policy}"\n')
        result = run_newsarchive("crawl", str(story), "--data", str(tmp / "data"), *FAST)
        assert result.returncode == 0, result.stderr[-3000:]
        yield PolicyCrawl(policy, web, tmp / "data")


def _archived_uris(data: Path) -> set[str]:
    uris = set()
    for path in (data / "warc").glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    uris.add(normalise_url(record.rec_headers.get_header("WARC-Target-URI")))
    return uris


def test_noarchive_under_obey_and_ignore(policy_crawl: PolicyCrawl) -> None:
    engine = policy_crawl.engine
    signals = policy_crawl.web.truth.rights
    archived = _archived_uris(policy_crawl.data)
    with engine.connect() as conn:
        outcomes = {
            url: (outcome, reason, detail)
            for url, outcome, reason, detail in conn.execute(
                select(m.UrlOutcome.url, m.UrlOutcome.outcome, m.UrlOutcome.reason,
                       m.UrlOutcome.detail)
            )
        }  # fmt: skip
    exported = {row["url"] for row in article_rows(engine)}
    for signal in signals:
        url = normalise_url(signal.url)
        if policy_crawl.policy == "obey" and signal.applies:
            assert url not in archived, signal
            with pytest.raises(UnknownUrl):
                captures(engine, url)
            outcome, reason, detail = outcomes[url]
            assert (outcome, reason) == ("skipped", "noarchive"), signal
            assert detail and signal.name.lower() in detail.lower(), (signal, detail)
            continue
        assert url in archived, signal
        _, found = captures(engine, url)
        pages = [c for c in found if c.access is not None]
        assert pages and all(not c.noarchive for c in pages), signal
        if signal.applies:  # ignore: recorded, not flagged, exported
            assert all(c.rights for c in pages), signal
        assert url in exported, signal
