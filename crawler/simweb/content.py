"""The on-topic texts: the five seed copies of the story and the coverage written around them.

`data/story.json` is curated by hand from the raw seeds in `data/seeds/`: body paragraphs and
boilerplate lines are exact substrings of the raw files, so tests can hold an extractor to them.
`data/coverage.json` holds the on-topic articles outside the seeds (follow-ups, background).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

ROLES = ("cookie", "nav", "header", "top", "inline", "bottom", "aside", "footer")
"""Where boilerplate sits on a page: the themes place each role in their own way."""


@dataclass(frozen=True, slots=True)
class Figure:
    """An image caption shown after the first `after` body paragraphs (neither body nor
    boilerplate: it belongs to the page but not to the article text)."""

    after: int
    caption: str


@dataclass(frozen=True, slots=True)
class Text:
    """One article's words and byline: what a perfect extractor returns for its page."""

    key: str
    headline: str
    author: str
    published: datetime
    """Timezone-aware, as the publisher states it; its date is the publication date."""
    paragraphs: tuple[str, ...]
    topic: str
    """'story' for on-topic texts, else the generator topic it was written from."""
    figures: tuple[Figure, ...] = ()
    lang: str = "en"
    """The language it is written in (BCP 47), for the page's `<html lang>`."""

    @property
    def on_topic(self) -> bool:
        return self.topic == "story"


@dataclass(frozen=True, slots=True)
class Seed:
    """One real copy of the story, with the boilerplate its site wrapped around it."""

    id: str
    file: str
    text: Text
    boilerplate: Mapping[str, tuple[str, ...]]
    """Role (one of ROLES) to the seed's boilerplate lines in that role."""
    republishes: str | None = None
    """The seed whose text this one republishes (002 republishes 000)."""

    def raw(self) -> str:
        """The raw seed file, as collected."""
        return data_text(f"seeds/{self.file}")


def data_text(name: str) -> str:
    """A file of data/, as text."""
    resource = files("crawler.simweb").joinpath("data")
    for part in name.split("/"):
        resource = resource.joinpath(part)
    return resource.read_text(encoding="utf-8")


def text_from(item: Mapping[str, Any], key: str, topic: str = "story") -> Text:
    """An article of a data file: headline, author, published, paragraphs (figures, lang)."""
    return Text(
        key=key,
        headline=item["headline"],
        author=item["author"],
        published=datetime.fromisoformat(item["published"]),
        paragraphs=tuple(item["paragraphs"]),
        topic=topic,
        figures=tuple(Figure(f["after"], f["caption"]) for f in item.get("figures", ())),
        lang=item.get("lang", "en"),
    )


@cache
def seeds() -> dict[str, Seed]:
    """The curated seeds by id ('000'…'004')."""
    out: dict[str, Seed] = {}
    for item in json.loads(data_text("story.json"))["seeds"]:
        unknown = set(item["boilerplate"]) - set(ROLES)
        if unknown:
            raise ValueError(f"story.json: seed {item['id']}: unknown roles {sorted(unknown)}")
        out[item["id"]] = Seed(
            id=item["id"],
            file=item["file"],
            text=text_from(item, f"seed-{item['id']}"),
            boilerplate={role: tuple(lines) for role, lines in item["boilerplate"].items()},
            republishes=item.get("republishes"),
        )
    return out


@cache
def coverage() -> dict[str, Text]:
    """The on-topic articles written for the simulation, by id."""
    items = json.loads(data_text("coverage.json"))["articles"]
    return {item["id"]: text_from(item, item["id"]) for item in items}


@cache
def topic_banks() -> dict[str, Any]:
    """The raw sentence banks of the off-topic generator (`data/topics.json`)."""
    banks: dict[str, Any] = json.loads(data_text("topics.json"))
    return banks
