"""The count of pages a change to extraction changes (bench/extract_changes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import extract_changes

CORPUS = Path(__file__).parent / "data" / "corpora" / "fundus-fixtures"


def test_same_code_changes_nothing_and_a_changed_field_is_named(tmp_path: Path) -> None:
    before = tmp_path / "before.json"
    assert extract_changes.main(["dump", str(before), "--corpora", str(CORPUS)]) == 0
    pages = json.loads(before.read_text())
    assert pages and all(key.startswith("fundus-fixtures/") for key in pages)
    assert extract_changes.main(["compare", str(before), str(before)]) == 0

    key = sorted(pages)[0]
    assert "text" in pages[key]
    pages[key]["title"] = "another title"
    after = tmp_path / "after.json"
    after.write_text(json.dumps(pages))
    changed = extract_changes.compare(json.loads(before.read_text()), pages)
    assert changed == {"fundus-fixtures": {key: ["title"]}}
    assert extract_changes.main(["compare", str(before), str(after)]) == 1


def test_a_page_in_one_dump_only_is_changed() -> None:
    changed = extract_changes.compare({"a/1": {"reason": None}}, {})
    assert changed == {"a": {"a/1": ["(page in one dump only)"]}}


@pytest.mark.parametrize("argv", [[], ["nothing"]])
def test_needs_a_command(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        extract_changes.main(argv)
