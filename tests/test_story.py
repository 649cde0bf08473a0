"""The story file is a public contract: valid files load, invalid ones fail with one clear error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crawler.core.story import StoryError, load_story, parse_story

VALID = """
name = "el-salvador-prisoners"
title = "El Salvador offers to house US prisoners"
since = 2025-02-01
until = 2025-02-28

[match]
all  = ["El Salvador"]
any  = ["prison*", "jail*", "CECOT"]
none = []

[[sources]]
name = "The Daily Example"
url = "http://127.0.0.1:8001/"
feeds = ["http://127.0.0.1:8001/rss.xml"]
sitemaps = ["http://127.0.0.1:8001/sitemap.xml"]
follow = 1

[[sources]]
url = "http://127.0.0.1:8002/"
"""


def test_the_documented_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "story.toml"
    path.write_text(VALID)
    story = load_story(path)
    assert story.name == "el-salvador-prisoners"
    assert story.since == date(2025, 2, 1) and story.until == date(2025, 2, 28)
    assert story.match.all == ("El Salvador",)
    assert story.match.any == ("prison*", "jail*", "CECOT")
    first, second = story.sources
    assert first.host == "127.0.0.1:8001"
    assert first.feeds == ("http://127.0.0.1:8001/rss.xml",)
    assert second.name == "127.0.0.1:8002" and second.follow == 1 and second.feeds == ()


def test_the_example_in_the_docs_is_valid() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "story-file.md").read_text()
    block = docs.split("```toml", 1)[1].split("```", 1)[0]
    assert parse_story(block).name == "el-salvador-prisoners"


def test_window_and_source_lookup() -> None:
    story = parse_story(VALID)
    assert story.in_window(date(2025, 2, 10)) is True
    assert story.in_window(date(2025, 1, 31)) is False
    assert story.in_window(date(2025, 3, 1)) is False
    assert story.in_window(None) is None
    assert story.source_for("http://127.0.0.1:8002/a/b") is story.sources[1]
    assert story.source_for("http://127.0.0.1:8003/") is None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (('name = "el-salvador-prisoners"', 'name = "El Salvador!"'), "name", "slug"),
        (('name = "el-salvador-prisoners"\n', ""), "name", "required"),
        (("until = 2025-02-28", "until = 2025-01-28"), "until", "before since"),
        (("since = 2025-02-01", 'since = "first of Feb"'), "since", "date like"),
        (("since = 2025-02-01", "since = 2025-02-01T10:00:00"), "since", "not a date and time"),
        (("any  = [", "anyy = ["), "match.anyy", "unknown field"),
        (('"prison*"', '"pri*son"'), "match.any[0]", "'*' may only end"),
        (('url = "http://127.0.0.1:8002/"', 'url = "ftp://x/"'), "sources[1].url", "http(s)"),
        (
            ('url = "http://127.0.0.1:8002/"', 'url = "http://127.0.0.1:8001/"'),
            "sources[1].url",
            "already the site",
        ),
        (("follow = 1", "follow = -1"), "sources[0].follow", "0 to 10"),
        (("follow = 1", "follow = true"), "sources[0].follow", "0 to 10"),
        (
            ('feeds = ["http://127.0.0.1:8001/rss.xml"]', 'feeds = "rss.xml"'),
            "sources[0].feeds",
            "list of strings",
        ),
        (
            ('feeds = ["http://127.0.0.1:8001/rss.xml"]', 'feeds = ["rss.xml"]'),
            "sources[0].feeds[0]",
            "http(s)",
        ),
    ],
)
def test_an_invalid_file_names_file_field_and_problem(
    tmp_path: Path, change: tuple[str, str], field: str, words: str
) -> None:
    path = tmp_path / "bad.toml"
    old, new = change
    assert old in VALID
    path.write_text(VALID.replace(old, new, 1))
    with pytest.raises(StoryError) as caught:
        load_story(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert words in message
    assert caught.value.field == field


def test_no_sources_and_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoryError, match="sources: is required"):
        parse_story('name = "x"\n')
    with pytest.raises(StoryError, match="not valid TOML"):
        parse_story('name = "x\n')
    with pytest.raises(StoryError, match="cannot read the file"):
        load_story(tmp_path / "missing.toml")


def test_revisit_policy_defaults_and_overrides() -> None:
    story = parse_story(VALID)
    assert story.revisit.first.total_seconds() == 3600
    custom = parse_story(
        VALID.replace(
            "[match]",
            '[revisit]\nfirst = "30m"\nfactor = 3\nmax = "2d"\nage_factor = 0\n'
            'stop_after = "1w"\n\n[match]',
        )
    )
    assert custom.revisit.first.total_seconds() == 1800
    assert custom.revisit.factor == 3.0
    assert custom.revisit.max.days == 2 and custom.revisit.stop_after.days == 7


@pytest.mark.parametrize(
    ("table", "field", "words"),
    [
        ('first = "soon"', "revisit.first", "a duration is a number and a unit"),
        ('factor = "2"', "revisit.factor", "must be a number"),
        ('first = "2d"\nmax = "1d"', "revisit", "max must not be shorter than first"),
        ("every = 1", "revisit.every", "unknown field"),
    ],
)
def test_an_invalid_revisit_table_is_a_clear_error(table: str, field: str, words: str) -> None:
    with pytest.raises(StoryError) as caught:
        parse_story(VALID.replace("[match]", f"[revisit]\n{table}\n\n[match]"))
    assert caught.value.field == field
    assert words in str(caught.value)


def test_archive_and_versions_defaults() -> None:
    story = parse_story(VALID)
    assert story.archive.noarchive == "flag"
    assert story.versions.ignore == ()
    assert story.versions.min_changed_words == 1
    assert story.versions.truncated_below == 0.5


def test_archive_and_versions_tables() -> None:
    story = parse_story(
        VALID.replace(
            "[match]",
            '[archive]\nnoarchive = "obey"\n\n'
            "[versions]\n"
            "ignore = ['[\\d,]+ views', \"Updated \\\\d+ minutes? ago\"]\n"
            "min_changed_words = 3\ntruncated_below = 1\n\n[match]",
        )
    )
    assert story.archive.noarchive == "obey"
    rules = story.versions
    assert [p.pattern for p in rules.ignore] == [r"[\d,]+ views", r"Updated \d+ minutes? ago"]
    assert rules.ignored("1,234 VIEWS") and rules.ignored("updated 5 minutes ago")
    assert not rules.ignored("The video had 1,234 views.")  # a whole line, not a part of one
    assert (rules.min_changed_words, rules.truncated_below) == (3, 1.0)


@pytest.mark.parametrize(
    ("table", "field", "words"),
    [
        ('[archive]\nnoarchive = "skip"', "archive.noarchive", '"flag", "obey", "ignore"'),
        ("[archive]\nnoarchive = true", "archive.noarchive", "must be one of"),
        ('[archive]\nrobots = "obey"', "archive.robots", "unknown field"),
        ('archive = "obey"', "archive", "must be a table"),
        ('[versions]\nignore = "views"', "versions.ignore", "list of strings"),
        ('[versions]\nignore = ["ok", ""]', "versions.ignore[1]", "non-empty string"),
        ('[versions]\nignore = ["ok", "(views"]', "versions.ignore[1]", "not a regular expression"),
        ('[versions]\nignore = [".*"]', "versions.ignore[0]", "every paragraph"),
        ("[versions]\nmin_changed_words = 0", "versions.min_changed_words", "at least 1"),
        ("[versions]\nmin_changed_words = 1.5", "versions.min_changed_words", "whole number"),
        ("[versions]\ntruncated_below = 0", "versions.truncated_below", "more than 0"),
        ("[versions]\nsame_paragraph = 0.5", "versions.same_paragraph", "unknown field"),
        ("[versions]\ntruncated_below = 2", "versions.truncated_below", "at most 1"),
        ('[versions]\ntruncated_below = "half"', "versions.truncated_below", "must be a number"),
        ("[versions]\nignored = []", "versions.ignored", "unknown field"),
    ],
)
def test_an_invalid_archive_or_versions_table_is_a_clear_error(
    table: str, field: str, words: str
) -> None:
    with pytest.raises(StoryError) as caught:
        parse_story(VALID.replace("[match]", f"{table}\n\n[match]"))
    assert caught.value.field == field
    assert words in str(caught.value)


def test_a_bad_ignore_pattern_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "story.toml"
    path.write_text(
        VALID.replace(
            "[match]", "[versions]\nignore = [\n  'fine',\n  '(\\d+ views',\n]\n\n[match]"
        )
    )
    with pytest.raises(StoryError) as caught:
        load_story(path)
    line = path.read_text().splitlines().index("  '(\\d+ views',") + 1
    assert str(caught.value) == (
        f"{path}: versions.ignore[1]: is not a regular expression: missing ), unterminated "
        f"subpattern (position 0) in '(\\d+ views', on line {line}"
    )


ARCHIVES = """
[[archives]]
name = "wayback"
kind = "wayback"
cdx = "http://127.0.0.1:9001/cdx/search/cdx"
replay = "http://127.0.0.1:9001/web/{timestamp}id_/{url}"

[[archives]]
name = "cc"
kind = "commoncrawl"
cdx = "http://127.0.0.1:9002/CC-MAIN-2025-08-index"
data = "http://127.0.0.1:9003/"
delay = 0.5
concurrency = 4
"""


def test_archives_tables_and_their_defaults() -> None:
    assert parse_story(VALID).archives == ()
    wayback, cc = parse_story(VALID + ARCHIVES).archives
    assert (wayback.name, wayback.kind, wayback.delay, wayback.concurrency) == (
        "wayback", "wayback", 1.0, 2,
    )  # fmt: skip
    assert wayback.replay == "http://127.0.0.1:9001/web/{timestamp}id_/{url}"
    assert wayback.since is None and wayback.until is None
    windowed = parse_story(VALID + ARCHIVES + "since = 2025-01-01\n").archives[1]
    assert windowed.since == date(2025, 1, 1)
    assert (cc.kind, cc.data, cc.delay, cc.concurrency, cc.replay) == (
        "commoncrawl", "http://127.0.0.1:9003/", 0.5, 4, "",
    )  # fmt: skip


def test_the_archives_example_in_the_docs_is_valid() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "story-file.md").read_text()
    block = docs.split("## Web archives", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    assert [a.name for a in parse_story(VALID + block).archives] == ["wayback", "cc"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (('kind = "wayback"', 'kind = "warc"'), "archives[0].kind", "must be one of"),
        (("{timestamp}id_", "{timstamp}id_"), "archives[0].replay", "unknown placeholder"),
        (("/{url}", "/"), "archives[0].replay", "must contain {url}, on line 26"),
        (('name = "cc"', 'name = "wayback"'), "archives[1].name", "names another archive"),
        (('data = "http://127.0.0.1:9003/"', ""), "archives[1].data", "is required"),
        (("concurrency = 4", "concurrency = 0"), "archives[1].concurrency", "from 1 to 16"),
        (("delay = 0.5", "delay = -1"), "archives[1].delay", "from 0 to 60"),
        (("delay = 0.5", "since = 2025-03-01\nuntil = 2025-02-01"), "archives[1].until", "before"),
        (
            ('cdx = "http://127.0.0.1:9002', 'cdx = "ftp://127.0.0.1:9002'),
            "archives[1].cdx",
            "http(s)",
        ),
        (
            ('kind = "commoncrawl"', 'kind = "commoncrawl"\nreplay = "x"'),
            "archives[1].replay",
            "not used",
        ),
    ],
)
def test_a_bad_archives_table_names_its_field(
    change: tuple[str, str], field: str, words: str
) -> None:
    text = VALID + ARCHIVES.replace(*change)
    with pytest.raises(StoryError) as caught:
        parse_story(text)
    assert caught.value.field == field
    assert words in caught.value.problem
