"""The simulated web over rounds: what `truth.timeline` promises is what each round serves, and
nothing else changes."""

from __future__ import annotations

import difflib
import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import html

from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.simweb import SimWeb
from crawler.simweb.plan import plan_web
from crawler.simweb.timeline import LAST_ROUND, SCENARIO, History, round_time
from tests.simweb.helpers import ROUNDS, Response, Snapshots, serves_version

CAPTURED = datetime(2025, 4, 1, tzinfo=UTC)


def histories(web: SimWeb) -> list[History]:
    return list(web.truth.timeline.histories.values())


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def og_title(resp: Response) -> str:
    [title] = html.fromstring(resp.text).xpath("//meta[@property='og:title']/@content")
    return str(title)


def by_role(web: SimWeb) -> dict[str, list[History]]:
    """The articles the scenario changes, by what happens to them."""
    roles: dict[str, list[History]] = {"corrected": [], "appended": [], "restamped": []}
    roles["deleted"] = [h for h in histories(web) if h.deleted]
    for h in histories(web):
        if h.text_changes == (1, 2):
            roles["corrected"].append(h)
        elif h.text_changes == (1,):
            roles["appended"].append(h)
        elif h.restamped:
            roles["restamped"].append(h)
    return roles


def words_changed(old: str, new: str) -> int:
    ops = difflib.SequenceMatcher(None, old.split(), new.split()).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def test_the_timeline_covers_every_article_and_changes_only_the_scenarios(timed: SimWeb) -> None:
    truth = timed.truth
    assert set(truth.timeline.histories) == {a.url for a in truth.articles}
    roles = by_role(timed)
    assert {role: len(found) for role, found in roles.items()} == {
        "corrected": 1,
        "appended": 1,
        "restamped": 1,
        "deleted": 2,
    }
    scenario = {h.url for found in roles.values() for h in found}
    for h in histories(timed):
        assert not h.changed(0) and not h.changed(LAST_ROUND + 1)
        if h.url not in scenario:
            assert len(h.versions) == 1 and not h.restamped and h.deleted is None
            assert [h.modified(n) for n in ROUNDS] == [None] * len(ROUNDS)
    assert sorted(truth.timeline.changed(1)) == sorted(scenario)
    assert truth.timeline.changed(2) == [roles["corrected"][0].url]


def test_a_correction_then_a_new_headline(timed: SimWeb) -> None:
    [corrected] = by_role(timed)["corrected"]
    article = timed.truth.article(corrected.url)
    assert article is not None and article.on_topic
    first, fixed, retitled = corrected.versions
    assert first.title == fixed.title != retitled.title and fixed.paragraphs == retitled.paragraphs
    [(old, new)] = [
        (a, b) for a, b in zip(first.paragraphs, fixed.paragraphs, strict=True) if a != b
    ]
    assert 0 < words_changed(old, new) <= 8
    assert [v.round for v in corrected.versions] == [0, 1, 2]
    assert [corrected.versions_by(n) for n in ROUNDS] == [1, 2, 3, 3]
    assert [corrected.modified(n) for n in ROUNDS] == [None, round_time(1), *[round_time(2)] * 2]
    # Where validators help a recrawl.
    assert article.validators == {"etag", "last-modified"}


def test_an_appended_paragraph_and_a_timestamp_only_change(timed: SimWeb) -> None:
    [appended], [restamped] = by_role(timed)["appended"], by_role(timed)["restamped"]
    assert appended.versions[1].paragraphs[:-1] == appended.versions[0].paragraphs
    assert [appended.versions_by(n) for n in ROUNDS] == [1, 2, 2, 2]
    assert restamped.restamped == (1,) and len(restamped.versions) == 1
    assert [restamped.versions_by(n) for n in ROUNDS] == [1, 1, 1, 1]
    assert [restamped.modified(n) for n in ROUNDS] == [None, *[round_time(1)] * 3]
    for history in (appended, restamped):
        article = timed.truth.article(history.url)
        assert article is not None and article.on_topic
    # Where only payload digests tell a recrawl that the page changed.
    appended_article = timed.truth.article(appended.url)
    assert appended_article is not None and appended_article.validators == frozenset()


def test_two_off_topic_deletions(timed: SimWeb) -> None:
    deleted = by_role(timed)["deleted"]
    assert {(h.deleted.status, h.deleted.listed) for h in deleted if h.deleted} == {
        (404, True),
        (410, False),
    }
    hosts = set()
    for history in deleted:
        article = timed.truth.article(history.url)
        assert article is not None and not article.on_topic and article.linked
        assert history.deleted is not None and history.deleted.round == 1
        assert [history.version(n) is None for n in ROUNDS] == [False, True, True, True]
        assert [history.versions_by(n) for n in ROUNDS] == [1, 1, 1, 1]
        hosts.add(article.host)
    assert len(hosts) == 2


def test_the_scenario_holds_for_every_seed() -> None:
    for seed in (0, 1, 7):
        keys = {a.text.key for articles in plan_web(seed, 5).values() for a in articles}
        assert {step.key for step in SCENARIO} <= keys, seed


def test_each_round_serves_what_the_timeline_says(timed: SimWeb, served: Snapshots) -> None:
    for article in timed.truth.articles:
        history = timed.truth.timeline.history(article.url)
        for n in ROUNDS:
            resp, version = served[n][article.url], history.version(n)
            if version is None:
                assert history.deleted and resp.status == history.deleted.status
                continue
            assert resp.status == 200 and og_title(resp) == version.title, (article.url, n)
            assert serves_version(resp.text, history, version) == [], (article.url, n)


def test_unchanged_pages_are_byte_identical_and_keep_their_validators(
    timed: SimWeb, served: Snapshots
) -> None:
    for article in timed.truth.articles:
        history = timed.truth.timeline.history(article.url)
        for n in ROUNDS[1:]:
            before, now = served[n - 1][article.url], served[n][article.url]
            same = hashlib.sha256(before.body).digest() == hashlib.sha256(now.body).digest()
            assert same == (not history.changed(n)), (article.url, n)
            if now.status != 200:
                continue
            etag, modified = now.header("ETag"), now.header("Last-Modified")
            if etag is not None:
                assert (etag == before.header("ETag")) == same, (article.url, n)
            if modified is not None:
                edited = history.modified(n)
                published = served[0][article.url].header("Last-Modified")
                assert modified == (http_date(edited) if edited else published), (article.url, n)


def test_a_timestamp_only_change_is_one_visible_line_in_the_article(
    timed: SimWeb, served: Snapshots
) -> None:
    [history] = [h for h in histories(timed) if h.restamped]
    before, after = (served[n][history.url].text.splitlines() for n in (0, 1))
    assert len(before) == len(after)
    [(old, new)] = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    stamp = html.fromstring(new).text_content()
    assert html.fromstring(old).text_content() in stamp and "Updated" in stamp
    doc = html.fromstring(served[1][history.url].text)
    [element] = [e for e in doc.iter() if e.text == stamp]
    assert any(a.tag == "article" for a in element.iterancestors())


def test_the_extractor_counts_the_versions_the_timeline_says(
    timed: SimWeb, served: Snapshots
) -> None:
    """With either trade-off the extractor sees as many versions as the timeline made. With
    'balanced' the timestamp lines survive extraction and the crawler's normaliser is what folds
    them away; 'precision' (the default) drops them itself."""
    for options in (ExtractOptions(), ExtractOptions(favor="balanced")):
        _count_versions(timed, served, options)


def _count_versions(timed: SimWeb, served: Snapshots, options: ExtractOptions) -> None:
    for history in histories(timed):
        if not any(history.changed(n) for n in ROUNDS):
            continue
        digests: set[str] = set()
        for n in ROUNDS:
            resp = served[n][history.url]
            body = resp.text.encode() if resp.status == 200 else resp.body
            headers = (("Content-Type", resp.header("Content-Type") or ""),)
            page = PageInput(history.url, history.url, resp.status, headers, body, CAPTURED)
            found = extract(page, options).article
            assert (found is None) == (history.version(n) is None), (history.url, n)
            if found is not None:
                digests.add(found.text_sha256)
                if options.favor == "balanced" and history.restamped and n >= history.restamped[0]:
                    assert "Updated" in found.text
            assert len(digests) == history.versions_by(n), (history.url, n)
