"""Edit kinds (`SimWeb(edits=True)`): each edited article changes in a later round in exactly the
way `truth.edits` says (kinds, stealth, notice), and the pages serve exactly those texts."""

from __future__ import annotations

import difflib
import re
from collections import Counter

from lxml import html

from crawler.simweb import SimWeb
from crawler.simweb.edits import CASES, ExpectedEdit
from crawler.simweb.features import FeaturePlan, Features
from crawler.simweb.plan import plan_web
from crawler.simweb.timeline import History, Version, at_round
from tests.simweb.helpers import Response, Snapshots, serves_version

NOTICE = re.compile(r"^(Correction|Corrección|Fe de erratas|Korrektur|Update|UPDATE \([^)]*\)):")
DATES = re.compile(r"\b(?:Feb\. \d+|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")


def last_open(history: History, n: int) -> int:
    """The last round before `n` that served the article open (walls are no version)."""
    return max(r for r in range(n) if r not in history.walled)


def before_after(web: SimWeb, edit: ExpectedEdit) -> tuple[History, Version, Version]:
    """The versions served last before and from the edit's round (the same one when only the
    byline changes: then the round is a restamp)."""
    history = web.truth.timeline.history(edit.url)
    before = history.version(last_open(history, edit.round))
    after = history.version(edit.round)
    assert before is not None and after is not None
    if edit.new_text:
        assert after.round == edit.round and edit.round not in history.restamped
    else:
        assert after == before and edit.round in history.restamped
    return history, before, after


def observed(before: Version, after: Version, authors: tuple[str, str]) -> set[str]:
    """What changed from `before` to `after`, told apart the plain way, to hold the truth's
    kinds to."""
    kinds = set()
    if before.title != after.title:
        kinds.add("headline")
    if authors[0] != authors[1]:
        kinds.add("byline")
    old, new = list(before.paragraphs), list(after.paragraphs)
    added = [p for p in new if p not in old]
    notices = [p for p in added if NOTICE.match(p)]
    for notice in notices:
        kinds.add("correction" if not notice.upper().startswith("UPDATE") else "update")
    new = [p for p in new if p not in notices]
    if len(new) > len(old) and new[: len(old)] == old:
        kinds.add("update")  # paragraphs added at the end, without a label
        new = new[: len(old)]
    if len(new) < len(old) and all(p in old for p in new):
        kinds.add("removal")
    elif new != old:
        changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        if all(DATES.sub("", old[i]) == DATES.sub("", new[i]) for i in changed):
            kinds.add("dateline")
        elif changed == [0]:
            kinds.add("lede")
        else:
            assert min(changed) > 0 and max(changed) < len(old) - 1, "reworded in the middle"
            kinds.add("substantive")
    return kinds


def author(resp: Response) -> str:
    [name] = html.fromstring(resp.text).xpath("//meta[@name='author']/@content")
    return str(name)


def test_every_kind_of_change_is_there(featured: SimWeb) -> None:
    edits = featured.truth.edits
    assert len(edits) == len(CASES) + 3 + 1  # the default scenario's three, a paywall's one
    kinds = Counter(k for e in edits for k in e.kinds)
    assert set(kinds) == {
        "headline", "lede", "correction", "update", "removal", "byline", "dateline", "substantive",
    }  # fmt: skip
    combined = {e.kinds for e in edits if len(e.kinds) > 1}
    assert combined == {
        frozenset({"substantive", "update"}),
        frozenset({"substantive", "correction"}),
    }
    stealth = {frozenset(e.kinds) for e in edits if e.stealth}
    assert stealth == {frozenset({"substantive"}), frozenset({"removal"})}
    langs = Counter(e.lang for e in edits if "correction" in e.kinds)
    assert langs == {"en": 2, "es": 2, "de": 1}
    assert {e.round for e in edits} == {1, 2}


def test_each_edit_changes_what_the_truth_says(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    for edit in featured.truth.edits:
        history, before, after = before_after(featured, edit)
        authors = (
            author(featured_rounds[last_open(history, edit.round)][edit.url]),
            author(featured_rounds[edit.round][edit.url]),
        )
        assert observed(before, after, authors) == set(edit.kinds), edit
        if edit.notice:
            assert edit.notice in after.paragraphs and edit.notice not in before.paragraphs
        if edit.kinds & {"correction"} or any(NOTICE.match(p) for p in after.paragraphs):
            assert edit.notice, edit


def test_the_notices_are_in_their_languages(featured: SimWeb) -> None:
    notices: dict[str, list[str]] = {e.lang: [] for e in featured.truth.edits}
    for edit in featured.truth.edits:
        if "correction" in edit.kinds:
            notices[edit.lang].append(edit.notice.split(":")[0])
    assert sorted(notices["es"]) == ["Corrección", "Fe de erratas"]
    assert notices["de"] == ["Korrektur"]
    assert sorted(notices["en"]) == ["Correction", "Correction"]
    assert any(
        e.notice.startswith("Correction: An earlier version of this article misstated")
        for e in featured.truth.edits
    )
    assert any(e.notice.startswith("UPDATE (") for e in featured.truth.edits)


def test_the_pages_serve_the_texts_of_each_round(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    """Every article of every round (walls aside) holds its version's paragraphs and none of
    its other versions', under its version's title and in its language."""
    for article in featured.truth.articles:
        history = featured.truth.timeline.history(article.url)
        for n, snapshot in enumerate(featured_rounds):
            resp, version = snapshot[article.url], history.version(n)
            if version is None:
                deleted = history.deleted
                assert n in history.walled or (deleted and resp.status == deleted.status)
                continue
            doc = html.fromstring(resp.text)
            assert doc.xpath("//meta[@property='og:title']/@content") == [version.title]
            assert doc.xpath("/html/@lang") == [article.lang]
            assert serves_version(resp.text, history, version) == [], (article.url, n)


def test_spanish_and_german_articles_say_so(featured: SimWeb) -> None:
    langs = Counter(a.lang for a in featured.truth.articles)
    assert langs["es"] == 2 and langs["de"] == 1


def test_a_stealth_edit_changes_few_words_in_one_middle_paragraph(featured: SimWeb) -> None:
    truth = featured.truth
    [stealth] = [
        e
        for e in truth.edits
        if e.kinds == {"substantive"} and getattr(truth.article(e.url), "seed_id", 1) is None
    ]
    _, before, after = before_after(featured, stealth)
    [(old, new)] = [
        (a, b) for a, b in zip(before.paragraphs, after.paragraphs, strict=True) if a != b
    ]
    ops = difflib.SequenceMatcher(None, old.split(), new.split()).get_opcodes()
    assert sum(1 for op in ops if op[0] != "equal") >= 1
    assert old.split(". ")[0] == new.split(". ")[0], "the start of the paragraph is untouched"


def test_the_edits_hold_for_every_seed() -> None:
    """Each rewrite changes what its kinds say whatever the web's seed (the generated texts
    differ from seed to seed), checked on the plan itself."""
    for seed in (1, 7):
        plan = FeaturePlan(Features(walls=True, edits=True))
        planned = plan_web(seed, 5, plan.additions())
        scenario = plan.scenario()
        articles = {a.text.key: a for site in planned.values() for a in site}
        rewrites = [s for s in scenario if s.kind == "rewrite"]
        assert len(rewrites) == len(CASES) + 1
        for step in rewrites:
            [before] = at_round([articles[step.key]], step.round - 1, scenario)
            [after] = at_round([articles[step.key]], step.round, scenario)
            old, new = (Version(0, a.text.headline, a.text.paragraphs) for a in (before, after))
            kinds = observed(old, new, (before.text.author, after.text.author))
            [case] = [c for c in CASES if c.key == step.key] or [None]
            assert kinds == (set(case.kinds) if case else {"update"}), (seed, step.key)
