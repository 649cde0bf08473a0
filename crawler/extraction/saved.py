"""Saved pages (files) through `extract()`, as `newsarchive extract` reads them: the page a file
stands for, and one JSON object per file with the export's field names.

Here rather than in the CLI so that the extraction workers import only this and extraction, not
the CLI's database and storage modules (seconds of CPU per worker).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from crawler.core.article import Article, Extraction
from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.metadata import declared_url
from crawler.extraction.options import ExtractOptions


def _iso(day: date | datetime | None) -> str | None:
    if isinstance(day, datetime):
        return day.isoformat(timespec="seconds")
    return day.isoformat() if day else None


FIELDS = (
    "url", "title", "authors", "published", "published_precision", "modified",
    "modified_precision", "language", "language_source", "site_name", "canonical_url", "text",
    "word_count", "text_sha256", "extractor",
)  # fmt: skip
"""The fields of an article, named as in the export."""


def as_json(url: str, article: Article | None, extractor: str) -> dict[str, Any]:
    """An article (or None: every field null) with the export's field names."""
    if article is None:
        return {name: (url if name == "url" else None) for name in FIELDS} | {
            "authors": [],
            "extractor": extractor,
        }
    return {
        "url": url,
        "title": article.title,
        "authors": list(article.authors),
        "published": _iso(article.published_at or article.published),
        "published_precision": article.published_precision,
        "modified": _iso(article.modified_at or article.modified),
        "modified_precision": article.modified_precision,
        "language": article.language,
        "language_source": article.language_source,
        "site_name": article.site_name,
        "canonical_url": article.canonical_url,
        "text": article.text,
        "word_count": article.word_count,
        "text_sha256": article.text_sha256,
        "extractor": extractor,
    }


def read_page(path: Path, url: str | None) -> tuple[PageInput, str]:
    """The saved page as a fetched one: its URL (`url`, else the one it declares, else its
    file URI) and its modification time for the capture time. Raises OSError (or EOFError,
    gzip.BadGzipFile for a damaged .gz)."""
    body = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        body = gzip.decompress(body)
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    address = url or declared_url(body) or path.resolve().as_uri()
    page = PageInput.saved(address, body, fetched_at)
    return page, address


def extract_file(path: Path, options: ExtractOptions, url: str | None = None) -> dict[str, Any]:
    """One line of `--jsonl`: `file`, `reason` (null for an article; `error: …` for a file that
    cannot be read) and the article's fields. Runs in a worker."""
    try:
        page, url = read_page(path, url)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        reason = f"{_UNREADABLE}: {getattr(exc, 'strerror', None) or exc}"
        extraction = Extraction(None, reason, "", options.digest)
        url = path.resolve().as_uri()
    else:
        extraction = extract(page, options)
    return {"file": str(path), "reason": extraction.reason} | as_json(
        url, extraction.article, extraction.extractor
    )


def extract_chunk(
    paths: list[Path], options: ExtractOptions, url: str | None = None
) -> list[tuple[str, str]]:
    """(kind, line of JSON) for each of `paths`, made in the worker (a string crosses the pipe
    faster than the dictionary); kind is 'article', 'other' or 'error'."""
    out = []
    for path in paths:
        record = extract_file(path, options, url)
        reason = record["reason"]
        kind = (
            "article" if reason is None else "error" if reason.startswith(_UNREADABLE) else "other"
        )
        out.append((kind, json.dumps(record, ensure_ascii=False)))
    return out


_UNREADABLE = "error: cannot read"
