"""Off-topic articles, generated deterministically from the sentence banks in data/topics.json.

Each article draws its own sentences, names and numbers from a `random.Random` seeded by the web's
seed and the article's key, so any one article is the same on every run and can be made alone.
Sentences are sampled, not all used, so two articles on one topic are not near-duplicates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.simweb.content import Text, topic_banks

MIN_WORDS = 220
MIN_PARAGRAPHS = 6


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    section: str
    """The kind of section it belongs in ('local', 'sport', …), mapped per publisher."""
    trap: bool
    """Written to look like the story without matching it (see data/topics.json)."""
    headlines: tuple[str, ...]
    leads: tuple[str, ...]
    sentences: tuple[str, ...]


class Generator:
    """Makes off-topic `Text`s; `seed` varies the whole simulated web at once."""

    def __init__(self, seed: int = 0) -> None:
        banks = topic_banks()
        self.seed = seed
        self._pools: dict[str, list[str]] = banks["pools"]
        self._common: list[str] = banks["common"]
        self.topics: dict[str, Topic] = {
            key: Topic(
                key=key,
                section=raw["section"],
                trap=raw.get("trap", False),
                headlines=tuple(raw["headlines"]),
                leads=tuple(raw["leads"]),
                sentences=tuple(raw["sentences"]),
            )
            for key, raw in banks["topics"].items()
        }

    @property
    def regular_topics(self) -> list[str]:
        """Topics for ordinary filler articles (the traps are placed once, on purpose)."""
        return [key for key, topic in self.topics.items() if not topic.trap]

    def article(self, key: str, topic_key: str, published: datetime) -> Text:
        """The article `key` on `topic_key`: 6 to 8 paragraphs, topped up with unused sentences
        to MIN_WORDS words (the banks are long enough for that; a test holds them to it)."""
        topic = self.topics[topic_key]
        rng = random.Random(f"{self.seed}:{key}")
        slots = self._slots(rng)
        first, last = rng.choice(self._pools["first"]), rng.choice(self._pools["last"])
        pool = list(topic.sentences)
        rng.shuffle(pool)
        take = min(len(pool), rng.randint(9, 11))
        chosen, spare = pool[:take], pool[take:]
        for sentence in rng.sample(self._common, 2):
            chosen.insert(rng.randint(take // 2, len(chosen)), sentence)
        body = [s.format_map(slots) for s in chosen]
        lead = rng.choice(topic.leads).format_map(slots)
        paragraphs = [lead, *_split(body, rng.randint(MIN_PARAGRAPHS, 8) - 1, rng)]
        while _words(paragraphs) < MIN_WORDS and spare:
            paragraphs[-2] += " " + spare.pop().format_map(slots)
        return Text(
            key=key,
            headline=rng.choice(topic.headlines).format_map(slots),
            author=f"{first} {last}",
            published=published,
            paragraphs=tuple(paragraphs),
            topic=topic_key,
        )

    def _slots(self, rng: random.Random) -> dict[str, str]:
        pools = self._pools
        person, person2 = (
            f"{rng.choice(pools['first'])} {last}" for last in rng.sample(pools["last"], 2)
        )
        city = rng.choice(pools["city"])
        team, rival = rng.sample(pools["team"], 2)
        company, company2 = rng.sample(pools["company"], 2)
        weekday, weekday2 = rng.sample(pools["weekday"], 2)
        small = rng.randint(4, 12)
        score = rng.randint(1, 4)
        slots: dict[str, Any] = {
            "city": city, "team": team, "rival": rival, "person": person, "person2": person2,
            "company": company, "company2": company2, "weekday": weekday, "weekday2": weekday2,
            "small": small, "small2": rng.randint(1, small - 1),
            "score": score, "score2": rng.randint(0, score - 1),
            "amount": f"${rng.randint(12, 480)}.{rng.randint(1, 9)} million",
            "small_amount": f"${rng.randint(1, 9)}.{rng.randint(1, 9)} million",
            "pct": f"{rng.randint(1, 6)}.{rng.randint(1, 9)}",
            "pct2": f"{rng.randint(1, 9)}.{rng.randint(1, 9)}",
            "big": rng.randint(15, 60), "count": rng.randint(40, 600),
            "count2": f"{rng.randint(2, 60) * 1000 + rng.randint(0, 999):,}",
            "year": rng.randint(2026, 2030), "year2": rng.randint(2007, 2016),
            "minute": _ordinal(rng.randint(55, 90)), "minute2": _ordinal(rng.randint(10, 50)),
            "inches": rng.randint(4, 18),
            "price": f"${rng.randint(180, 420)},{rng.randint(0, 999):03d}",
        }  # fmt: skip
        for name in ("product", "storm", "mission", "hospital", "festival", "beach"):
            slots[name] = rng.choice(pools[name])
        return {name: str(value) for name, value in slots.items()}


def _split(sentences: list[str], count: int, rng: random.Random) -> list[str]:
    """`sentences` as `count` paragraphs of one or more sentences each, in order."""
    cuts = sorted(rng.sample(range(1, len(sentences)), count - 1))
    bounds = zip([0, *cuts], [*cuts, len(sentences)], strict=True)
    return [" ".join(sentences[start:end]) for start, end in bounds]


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
