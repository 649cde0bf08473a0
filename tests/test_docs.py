"""Keep the user documentation true to the code.

- docs/export.md documents exactly the fields of an export line, in order, with their Parquet
  types;
- docs/clusters.md documents exactly the CLUSTER_* settings of crawler/settings.py;
- docs/archive.md documents exactly the WARC_* settings of crawler/settings.py;
- every relative link in README.md and docs/*.md points at a file (and heading) that exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler import settings
from crawler.cli import export
from storage.db.engine import open_database
from storage.db.repository import Repository
from storage.export import COLUMNS
from tests.storage.db.factories import OFF_TOPIC, OTHER, STORY, capture, page

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MARKDOWN = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
_TABLE_NAME = re.compile(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|")


def section(path: Path, heading: str) -> str:
    """The text under `heading` (a whole heading line, e.g. '### Fields') up to the next heading
    of the same or a higher level."""
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    try:
        start = lines.index(heading) + 1
    except ValueError:
        pytest.fail(f"{path.name} has no heading {heading!r}")
    out = []
    for line in lines[start:]:
        match = re.match(r"^(#+)\s", line)
        if match and len(match.group(1)) <= level:
            break
        out.append(line)
    return "\n".join(out)


def table_names(text: str) -> list[str]:
    """The backquoted names in the first column of the Markdown tables in `text`."""
    return [m.group(1) for line in text.splitlines() if (m := _TABLE_NAME.match(line))]


# --- export fields -------------------------------------------------------------------------------


@pytest.fixture
def export_line(db_url: str, tmp_path: Path) -> dict[str, object]:
    """A line of a real export of a small database (articles in a story, one not relevant), on
    SQLite and PostgreSQL."""
    engine = open_database(db_url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    a, b, c = "http://news.example:8080/a", "http://news.example:8080/b", "https://other.example/c"
    repo.write_batch(
        [capture(a, "ra"), capture(b, "rb", offset=500), capture(c, "rc")],
        [page(a, "ra"), page(b, "rb", relevance=OFF_TOPIC), page(c, "rc", publisher=OTHER)],
        story_id,
    )
    engine.dispose()
    out = tmp_path / "out.jsonl"
    assert export.main(["--data", str(tmp_path), "--db", db_url, "-o", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    assert all(list(line) == list(lines[0]) for line in lines)
    first: dict[str, object] = lines[0]
    return first


def test_export_md_documents_every_export_field_in_order(export_line: dict[str, object]) -> None:
    documented = table_names(section(DOCS / "export.md", "### Fields"))
    assert len(documented) == len(set(documented)), "a field is documented twice"
    assert documented == list(export_line), (
        "docs/export.md '### Fields' must list exactly the keys of an export line, in order: "
        f"undocumented {sorted(set(export_line) - set(documented))}, "
        f"no longer exported {sorted(set(documented) - set(export_line))}"
    )


def test_export_md_documents_the_parquet_types() -> None:
    rows = [
        [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        for line in section(DOCS / "export.md", "### Fields").splitlines()
        if _TABLE_NAME.match(line)
    ]
    assert [(row[0], row[2]) for row in rows] == [(name, kind) for name, kind, _ in COLUMNS]


# --- cluster settings ----------------------------------------------------------------------------


def test_clusters_md_documents_every_cluster_setting() -> None:
    defined = {name for name in vars(settings) if name.startswith("CLUSTER_")}
    documented = set(table_names(section(DOCS / "clusters.md", "## Settings")))
    assert documented == defined


# --- WARC settings -------------------------------------------------------------------------------


def test_archive_md_documents_every_warc_setting() -> None:
    defined = {name for name in vars(settings) if name.startswith("WARC_")}
    assert defined, "crawler/settings.py defines no WARC_* setting"
    documented = set(table_names(section(DOCS / "archive.md", "## Settings")))
    assert documented == defined, (
        "docs/archive.md '## Settings' must list exactly the WARC_* settings: "
        f"undocumented {sorted(defined - documented)}, unknown {sorted(documented - defined)}"
    )


# --- links ---------------------------------------------------------------------------------------


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as '-'."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for line in text.splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = github_anchor(match.group(1))
            anchor, number = base, 0
            while anchor in found:  # GitHub numbers repeated headings: x, x-1, x-2…
                number += 1
                anchor = f"{base}-{number}"
            found.add(anchor)
    return found


def relative_links(path: Path) -> list[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    targets = [
        m.group(1) for pattern in (_INLINE_LINK, _IMAGE, _REFERENCE) for m in pattern.finditer(text)
    ]
    return [t for t in targets if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t)]


@pytest.mark.parametrize("doc", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files(doc: Path) -> None:
    broken = []
    for target in relative_links(doc):
        file_part, _, fragment = target.partition("#")
        resolved = (doc.parent / file_part).resolve() if file_part else doc
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{target}: no heading #{fragment} in {resolved.name}")
    assert not broken, f"{doc.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_link_checker_sees_links() -> None:
    """Guard against a link pattern that silently matches nothing."""
    assert "docs/archive.md" in relative_links(ROOT / "README.md")
    assert github_anchor("Reading a capture back") == "reading-a-capture-back"
    assert github_anchor("`newsarchive export`") == "newsarchive-export"
