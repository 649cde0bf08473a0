"""Which pages a change to extraction changes: every page's whole extraction (text and every
stored field, or the reason there is none), written for one version of the code and compared
with another's.

    python -m bench.extract_changes dump FILE [--corpora DIR]
    python -m bench.extract_changes compare BEFORE AFTER

`dump` runs `extract(page, ExtractOptions())` on every page of every corpus (the shared corpora by
default, as extract-quality finds them) through the crawl's path (`extract_quality.prepare`) and
writes `{"corpus/id": {"reason": ..., field: value...}}`. `compare` counts the pages whose
extraction differs and names the fields that differ, per corpus. A change meant as a pure
speed-up must count 0 (docs/benchmarks.md). To dump the code before a change, run `dump` from a
checkout (or `git archive`) of it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from bench import corpora
from bench.extract_quality import find_corpora, prepare
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions


def dump(dirs: list[Path]) -> dict[str, dict[str, Any]]:
    """Every page's extraction, keyed by `corpus/id`, its values as strings."""
    out: dict[str, dict[str, Any]] = {}
    for directory in dirs:
        corpus = corpora.load(directory)
        for page in prepare(corpus):
            extraction = extract(page.page, ExtractOptions())
            fields: dict[str, Any] = {"reason": extraction.reason}
            if extraction.article is not None:
                article = dataclasses.asdict(extraction.article)
                fields.update({k: str(v) for k, v in article.items()})
            out[f"{corpus.name}/{page.id}"] = fields
    return out


def compare(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> dict[str, dict[str, list[str]]]:
    """Per corpus, the pages whose extraction differs and the fields that differ."""
    changed: dict[str, dict[str, list[str]]] = {}
    for key in sorted(before.keys() | after.keys()):
        if key not in before or key not in after:
            changed.setdefault(key.split("/", 1)[0], {})[key] = ["(page in one dump only)"]
            continue
        old, new = before[key], after[key]
        if old == new:
            continue
        fields = sorted(f for f in old.keys() | new.keys() if old.get(f) != new.get(f))
        changed.setdefault(key.split("/", 1)[0], {})[key] = fields
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extract_changes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("file", type=Path)
    dumping.add_argument("--corpora", type=Path, default=None)
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        dirs, note = find_corpora(args.corpora)
        if note:
            print(f"note: {note}")
        pages = dump(dirs)
        args.file.write_text(json.dumps(pages, ensure_ascii=False))
        print(f"{len(pages)} pages written to {args.file}")
        return 0
    before = json.loads(args.before.read_text())
    after = json.loads(args.after.read_text())
    changed = compare(before, after)
    total = sum(len(found) for found in changed.values())
    print(f"{len(before.keys() | after.keys())} pages, {total} changed")
    for corpus, found in changed.items():
        print(f"{corpus}: {len(found)}")
        for key, fields in list(found.items())[:20]:
            print(f"    {key}: {', '.join(fields)}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
