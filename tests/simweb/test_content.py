"""The curated story data against the raw seeds, and the off-topic generator's guarantees."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from crawler.simweb.content import ROLES, coverage, seeds, topic_banks
from crawler.simweb.generator import MIN_PARAGRAPHS, Generator
from tests.simweb.helpers import has_term, on_topic

NOON = datetime(2025, 2, 10, 12, tzinfo=UTC)
STORY_WORDS = re.compile(r"prison|jail|cecot", re.IGNORECASE)


def test_five_seeds_with_their_raw_files() -> None:
    assert sorted(seeds()) == ["000", "001", "002", "003", "004"]
    for seed in seeds().values():
        assert seed.file.startswith(seed.id + "_")
        assert len(seed.raw()) > 2000


@pytest.mark.parametrize("seed_id", ["000", "001", "002", "003", "004"])
def test_curated_lines_occur_verbatim_in_the_raw_seed(seed_id: str) -> None:
    seed = seeds()[seed_id]
    raw = seed.raw()
    assert len(seed.text.paragraphs) >= 10
    for paragraph in seed.text.paragraphs:
        assert paragraph and paragraph == paragraph.strip()
        assert paragraph in raw, paragraph
    lines = [line for role in seed.boilerplate.values() for line in role]
    assert lines, "every seed lists boilerplate"
    assert set(seed.boilerplate) <= set(ROLES)
    for line in lines:
        assert line in raw, line
        assert not any(line in p for p in seed.text.paragraphs if len(line) > 20), line


def test_seed_paragraphs_keep_the_seed_order() -> None:
    for seed in seeds().values():
        raw = seed.raw()
        positions = [raw.index(p) for p in seed.text.paragraphs]
        assert positions == sorted(positions), seed.id


def test_captions_are_neither_body_nor_boilerplate() -> None:
    seed = seeds()["003"]
    captions = [f.caption for f in seed.text.figures]
    assert len(captions) == 2
    lines = [line for role in seed.boilerplate.values() for line in role]
    for caption in captions:
        assert caption in seed.raw()
        short = caption.rsplit(" (", 1)[0]
        for text in [*seed.text.paragraphs, *lines]:
            assert short not in text


def test_seed_metadata() -> None:
    by_id = seeds()
    for seed in by_id.values():
        assert seed.text.headline and seed.text.author
        assert date(2025, 2, 3) <= seed.text.published.date() <= date(2025, 2, 5)
        assert seed.text.published.tzinfo is not None
        assert seed.text.on_topic
        assert on_topic(" ".join([seed.text.headline, *seed.text.paragraphs]))
    assert by_id["000"].text.published.date() == by_id["002"].text.published.date()
    assert by_id["000"].text.published.date() == date(2025, 2, 4)
    assert by_id["002"].republishes == "000"


def test_002_republishes_000() -> None:
    def squash(texts: tuple[str, ...]) -> str:
        return re.sub(r"[\s.]+", " ", " ".join(texts)).strip()

    by_id = seeds()
    assert squash(by_id["002"].text.paragraphs) == squash(by_id["000"].text.paragraphs)
    rewrites = [by_id[i].text.paragraphs for i in ("001", "003", "004")]
    assert all(squash(r) != squash(by_id["000"].text.paragraphs) for r in rewrites)


def test_coverage_is_on_topic_and_dated_around_the_window() -> None:
    texts = coverage()
    days = {key: t.published.date() for key, t in texts.items()}
    assert any(d.year == 2025 and d.month == 3 for d in days.values())
    assert any(d.year == 2025 and d.month == 1 for d in days.values())
    assert any(d.year == 2024 for d in days.values())
    for text in texts.values():
        assert on_topic(" ".join([text.headline, *text.paragraphs])), text.key
        assert len(text.paragraphs) >= 6


def test_generated_articles_are_long_off_topic_and_deterministic() -> None:
    generator = Generator(seed=0)
    for topic in generator.topics:
        for n in range(40):
            text = generator.article(f"t{n}", topic, NOON)
            body = " ".join([text.headline, *text.paragraphs])
            assert len(text.paragraphs) >= MIN_PARAGRAPHS
            assert sum(len(p.split()) for p in text.paragraphs) >= 200
            assert not on_topic(body), (topic, text.headline)
            assert "{" not in body and "}" not in body
            assert not text.on_topic
    again = Generator(seed=0).article("t1", "football", NOON)
    assert again == generator.article("t1", "football", NOON)
    assert Generator(seed=1).article("t1", "football", NOON) != again


def test_no_bank_can_put_el_salvador_next_to_prisons() -> None:
    """Structural guarantee: any topic naming El Salvador has no prison words anywhere in it
    (nor do the sentences shared by all topics), whatever the generator picks."""
    banks = topic_banks()
    assert not any(STORY_WORDS.search(s) or "Salvador" in s for s in banks["common"])
    for key, topic in banks["topics"].items():
        pieces = [*topic["headlines"], *topic["leads"], *topic["sentences"]]
        if any("Salvador" in p for p in pieces):
            assert not any(STORY_WORDS.search(p) for p in pieces), key
    for pool in banks["pools"].values():
        assert not any("Salvador" in v or STORY_WORDS.search(v) for v in pool)


def test_the_two_traps() -> None:
    generator = Generator(seed=0)
    surf = generator.article("trap", "bitcoin-surf", NOON)
    reform = generator.article("trap", "prison-reform", NOON)
    surf_text = " ".join([surf.headline, *surf.paragraphs])
    reform_text = " ".join([reform.headline, *reform.paragraphs])
    assert has_term(surf_text, "El Salvador") and has_term(surf_text, "bitcoin")
    assert not STORY_WORDS.search(surf_text)
    assert has_term(reform_text, "prison*") and "Salvador" not in reform_text
    assert generator.topics["bitcoin-surf"].trap and generator.topics["prison-reform"].trap
    assert "bitcoin-surf" not in generator.regular_topics


def test_generated_text_never_copies_the_story() -> None:
    story = " ".join(p for seed in seeds().values() for p in seed.text.paragraphs)
    generator = Generator(seed=0)
    for topic in generator.topics:
        text = generator.article("copy-check", topic, NOON)
        for paragraph in text.paragraphs:
            for sentence in re.split(r"(?<=[.!?”])\s+", paragraph):
                assert sentence not in story, sentence
