"""Edit kinds: articles whose text changes in a later round in one known way each, so that a
classifier of new versions can be held to what really changed (`SimWeb(edits=True)`).

Each case is one article (generated, or in Spanish or German from `data/edits.json`) and one
rewrite step: its headline, its lede, a correction note (English, Spanish "Corrección:" and "Fe
de erratas:", German "Korrektur:"), an update ("Update:", "UPDATE (16:40 GMT):", or a plain
paragraph added at the end), a paragraph silently removed, its byline, only the dates in its
text, a sentence reworded in the middle with no notice (a stealth edit), and a reworded sentence
with an update or a correction notice (not stealth). `expected_edits` says, for every rewrite of
every round, which kinds a correct classifier finds and whether the change is stealth; the
default scenario's edits (timeline.SCENARIO) are classified too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from crawler.simweb.content import Text, data_text, text_from
from crawler.simweb.generator import Generator
from crawler.simweb.plan import SitePlan, section_for
from crawler.simweb.publishers import Section
from crawler.simweb.timeline import Step

ChangeKind = Literal[
    "headline", "lede", "correction", "update", "removal", "byline", "dateline", "substantive"
]
NOTICES = frozenset({"correction", "update"})
"""Kinds that tell the reader something changed: an edit with one of them is never stealth."""
UPDATE_NOTE = (
    "Update: A spokesperson said on Tuesday evening that a full statement would be published "
    "later this week and that no further changes were expected before then."
)
UPDATE_TIMED = (
    "UPDATE (16:40 GMT): Officials confirmed the figures in a written statement on Tuesday "
    "afternoon and said they would answer questions from residents next week."
)
UPDATE_PLAIN = (
    "Organisers said a full timetable would be published on their website in the coming days, "
    "and that residents could send questions by email until the end of the month."
)
CORRECTION_EN = (
    "Correction: An earlier version of this article misstated the credit for the main "
    "photograph. It was taken by a staff photographer, not supplied by the organisers."
)
CORRECTION_FIGURE = (
    "Correction: An earlier version of this article misstated a figure given by officials. "
    "The sentence has been corrected."
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class EditCase:
    name: str
    publisher: str
    kinds: tuple[ChangeKind, ...]
    round: int = 1
    source: str = ""
    """An article of data/edits.json (a correction in another language); generated if empty."""

    @property
    def key(self) -> str:
        return f"edit-{self.name}"


CASES = (
    EditCase("headline", "ledgerline", ("headline",)),
    EditCase("lede", "harbor-courier", ("lede",)),
    EditCase("correction-en", "justice-dispatch", ("correction",)),
    EditCase("correccion-es", "continental-herald", ("correction",), source="es-puente"),
    EditCase("fe-de-erratas-es", "wirefront", ("correction",), source="es-mercado"),
    EditCase("korrektur-de", "continental-herald", ("correction",), source="de-bahn"),
    EditCase("update-note", "wirefront", ("update",)),
    EditCase("update-timed", "harbor-courier", ("update",)),
    EditCase("update-plain", "justice-dispatch", ("update",), round=2),
    EditCase("removal", "ledgerline", ("removal",)),
    EditCase("byline", "continental-herald", ("byline",), round=2),
    EditCase("dateline", "wirefront", ("dateline",)),
    EditCase("stealth", "justice-dispatch", ("substantive",)),
    EditCase("substantive-update", "ledgerline", ("substantive", "update")),
    EditCase("substantive-correction", "harbor-courier", ("substantive", "correction")),
)


def is_stealth(kinds: frozenset[str]) -> bool:
    """A change of the body's wording (reworded or removed) that no notice tells the reader of."""
    return bool(kinds & {"substantive", "removal"}) and not kinds & NOTICES


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One planned rewrite, by article key: what `expected_edits` turns into URLs."""

    key: str
    round: int
    kinds: frozenset[str]
    notice: str = ""
    """The paragraph that announces it (a correction or update), if any."""


@dataclass(frozen=True, slots=True)
class ExpectedEdit:
    """What a correct classifier says of the new version an article has in `round`."""

    url: str
    round: int
    kinds: frozenset[str]
    """Any of 'headline', 'lede', 'correction', 'update', 'removal', 'byline', 'dateline',
    'substantive'."""
    stealth: bool
    lang: str = "en"
    notice: str = ""

    @property
    def new_text(self) -> bool:
        """Whether the title or the text changes: a new `Version` in the timeline. A byline
        alone changes the page (a new author, a new Last-Modified) but not them."""
        return self.kinds != {"byline"}


class Scripted:
    """A feature's articles over the rounds: the steps it adds to the scenario, and what each of
    its rewrites is."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.rewrites: list[Rewrite] = []


class EditArticles(Scripted):
    """The feature: adds one article per case to the plan (`add`, a plan_web addition), with its
    rewrite step."""

    def add(self, sites: dict[str, SitePlan], generator: Generator) -> None:
        topics = generator.regular_topics
        for number, case in enumerate(CASES):
            site = sites[case.publisher]
            section: Section
            if case.source:
                base = dataclasses.replace(foreign_texts()[case.source], key=case.key)
                section = site.spec.section_for("local")
            else:
                topic = topics[number % len(topics)]
                when = datetime(2025, 2, 10 + number, 9 + number % 8, 5 * (number % 12), tzinfo=UTC)
                base = generator.article(case.key, topic, when)
                section = section_for(generator, site.spec, topic)
                if case.kinds == ("dateline",):
                    base = _with_dateline(base, site.spec.name)
            new, notice = _rewrite(case, base, generator)
            site.add_generated(base, "edited", section, linked=True)
            self.steps.append(Step(case.round, case.key, "rewrite", text=new))
            self.rewrites.append(Rewrite(case.key, case.round, frozenset(case.kinds), notice))


def _rewrite(case: EditCase, text: Text, generator: Generator) -> tuple[Text, str]:
    """The article after its rewrite, and the notice paragraph it gained (if any)."""
    paragraphs = list(text.paragraphs)
    variants = _variants(generator, text)
    notice = ""
    kinds = set(case.kinds)
    if "substantive" in kinds:
        paragraphs = _reword_middle(paragraphs, variants)
    if kinds == {"headline"}:
        headline = next(v.headline for v in variants if v.headline != text.headline)
        return dataclasses.replace(text, headline=headline), ""
    if kinds == {"byline"}:
        author = next(v.author for v in variants if v.author != text.author)
        return dataclasses.replace(text, author=author), ""
    if kinds == {"lede"}:
        paragraphs[0] = next(v.paragraphs[0] for v in variants if v.paragraphs[0] != paragraphs[0])
    elif kinds == {"removal"}:
        del paragraphs[len(paragraphs) // 2]
    elif kinds == {"dateline"}:
        paragraphs = [_next_day(p) for p in paragraphs]
    elif "correction" in kinds:
        if case.source:
            item = _foreign_items()[case.source]
            notice, where = item["note"], item["where"]
        else:
            notice, where = (CORRECTION_FIGURE if "substantive" in kinds else CORRECTION_EN), "end"
        paragraphs = [notice, *paragraphs] if where == "start" else [*paragraphs, notice]
    elif "update" in kinds:
        notice = {"update-timed": UPDATE_TIMED, "update-plain": UPDATE_PLAIN}.get(
            case.name, UPDATE_NOTE
        )
        paragraphs = [notice, *paragraphs] if notice is UPDATE_TIMED else [*paragraphs, notice]
    return dataclasses.replace(text, paragraphs=tuple(paragraphs)), notice


def _variants(generator: Generator, text: Text) -> Iterator[Text]:
    """Other articles on the same topic, to take a new headline, lede, author or sentence from."""
    number = 2
    while True:
        yield generator.article(f"{text.key}~{number}", text.topic, text.published)
        number += 1


def _reword_middle(paragraphs: list[str], variants: Iterator[Text]) -> list[str]:
    """The last sentence of the middle paragraph replaced by another article's: new wording
    where no reader looks for it."""
    middle = len(paragraphs) // 2
    sentences = re.split(r"(?<=[.!?])\s+", paragraphs[middle])
    for variant in variants:
        candidates = re.split(r"(?<=[.!?])\s+", variant.paragraphs[middle])
        fresh = [s for s in candidates if s not in paragraphs[middle] and s != sentences[-1]]
        if fresh:
            sentences[-1] = fresh[0]
            break
    out = list(paragraphs)
    out[middle] = " ".join(sentences)
    return out


def _with_dateline(text: Text, site_name: str) -> Text:
    """`text` with a wire-style dateline before its lede: 'ASHFORD, Feb. 12 (Wirefront Daily) -'."""
    digest = hashlib.blake2s(text.key.encode(), digest_size=2).digest()
    city = ("LISBON", "ROTTERDAM", "VALPARAISO", "HALIFAX")[digest[0] % 4]
    day = text.published.day
    lede = f"{city}, Feb. {day} ({site_name}) - {text.paragraphs[0]}"
    return dataclasses.replace(text, paragraphs=(lede, *text.paragraphs[1:]))


def _next_day(paragraph: str) -> str:
    """Every date and weekday in `paragraph` a day later, and nothing else changed."""

    def day(match: re.Match[str]) -> str:
        return f"Feb. {int(match.group(1)) + 1}"

    def weekday(match: re.Match[str]) -> str:
        return _WEEKDAYS[(_WEEKDAYS.index(match.group(0)) + 1) % 7]

    paragraph = re.sub(r"Feb\. (\d+)", day, paragraph)
    return re.sub(r"\b(?:" + "|".join(_WEEKDAYS) + r")\b", weekday, paragraph)


@cache
def _foreign_items() -> dict[str, dict[str, Any]]:
    items = json.loads(data_text("edits.json"))["articles"]
    return {item["id"]: item for item in items}


@cache
def foreign_texts() -> dict[str, Text]:
    """The Spanish and German articles of data/edits.json, by id."""
    return {key: text_from(item, key, "local-news") for key, item in _foreign_items().items()}


def scenario_rewrites(scenario: Sequence[Step]) -> list[Rewrite]:
    """The default scenario's text changes, classified: its word-for-word 'correction' is a
    stealth substantive edit (no notice), its 'appended' an update, its 'headline' a headline."""
    kinds = {"correction": "substantive", "appended": "update", "headline": "headline"}
    return [
        Rewrite(
            step.key,
            step.round,
            frozenset({kinds[step.kind]}),
            step.new if step.kind == "appended" else "",
        )
        for step in scenario
        if step.kind in kinds
    ]


def expected_edits(rewrites: Sequence[Rewrite], urls: dict[str, str]) -> list[ExpectedEdit]:
    """`rewrites` by URL (`urls`: article key to canonical URL), in round order."""
    langs = {t.key: t.lang for t in foreign_texts().values()}
    langs |= {c.key: langs[c.source] for c in CASES if c.source}
    return sorted(
        (
            ExpectedEdit(
                urls[r.key], r.round, r.kinds, is_stealth(r.kinds), langs.get(r.key, "en"), r.notice
            )
            for r in rewrites
        ),
        key=lambda e: (e.round, e.url),
    )
