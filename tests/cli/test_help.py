"""Every verb's --help describes every option: none is listed bare (issue 18: `--format` had no
help text on `status` and `clusters`)."""

from __future__ import annotations

import importlib
import re

import pytest

from crawler.cli import VERBS


def help_text(verb: str, capsys: pytest.CaptureFixture[str]) -> str:
    module = importlib.import_module(f"crawler.cli.{verb}")
    with pytest.raises(SystemExit) as exited:
        module.main(["--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def options(text: str) -> dict[str, str]:
    """Each option's invocation and its help, from argparse's "options:" section."""
    section = text.split("options:", 1)[1]
    found: dict[str, str] = {}
    current = None
    for line in section.splitlines():
        start = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", line)
        if start:
            current = start.group(1)
            found[current] = start.group(2) or ""
        elif current is not None and line.startswith(" " * 4):
            found[current] += " " + line.strip()
    return found


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_option_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    bare = [name for name, text in options(help_text(verb, capsys)).items() if not text.strip()]
    assert not bare, f"{verb}: options without help: {bare}"


def test_format_says_what_each_choice_gives(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("status", "clusters", "history", "diff", "workers", "search", "stories"):
        found = options(help_text(verb, capsys))
        (text,) = [text for name, text in found.items() if name.startswith("--format")]
        assert "json" in text.lower(), (verb, text)
