"""Export files: the rows of `storage.db.queries.article_rows` as JSON Lines, CSV or Parquet, with
one versioned schema (docs/export.md#fields).

Every writer streams: it holds at most one row (JSON Lines, CSV) or one row group (Parquet) in
memory, whatever the number of articles. pyarrow (for Parquet) is imported only when needed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import IO, Any, TextIO

SCHEMA_VERSION = 4
"""Raised whenever a column is added, removed, renamed or changes type. Version 1 is the
unversioned JSON Lines export that had no cluster fields; version 3 added `relevance_reason`;
version 4 added `change_kinds` and `stealth`."""
SCHEMA_VERSION_KEY = "newsarchive.schema_version"
"""The Parquet key-value metadata entry holding `SCHEMA_VERSION`."""

COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("url", "string", False),
    ("publisher", "string", True),
    ("title", "string", True),
    ("authors", "list<string>", False),
    ("published", "date32", True),
    ("modified", "date32", True),
    ("language", "string", True),
    ("site_name", "string", True),
    ("text", "string", False),
    ("word_count", "int64", False),
    ("version", "int64", False),
    ("text_sha256", "string", False),
    ("extractor", "string", False),
    ("first_seen", "timestamp[us, tz=UTC]", False),
    ("last_seen", "timestamp[us, tz=UTC]", False),
    ("change_kinds", "list<string>", True),
    ("stealth", "bool", True),
    ("deleted", "bool", False),
    ("deleted_at", "timestamp[us, tz=UTC]", True),
    ("captured_at", "timestamp[us, tz=UTC]", True),
    ("warc_filename", "string", True),
    ("warc_offset", "int64", True),
    ("warc_record_id", "string", True),
    ("story", "string", True),
    ("relevant", "bool", True),
    ("relevance_score", "double", True),
    ("matched_terms", "list<string>", True),
    ("relevance_reason", "string", True),
    ("cluster_id", "int64", True),
    ("is_original", "bool", True),
    ("cluster_size", "int64", True),
    ("schema_version", "int64", False),
)
"""(name, Arrow type, nullable) of every column, in order: the one schema of all formats."""
NAMES = tuple(name for name, _, _ in COLUMNS)
FORMATS = ("jsonl", "csv", "parquet")
ROW_GROUP_ROWS = 2000
"""Rows per Parquet row group: the most rows a Parquet export holds in memory at once (a few MB
of text). Larger groups compress a little better."""


def complete(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with `schema_version`, its columns in schema order."""
    out = {name: row[name] for name in NAMES[:-1]}
    out["schema_version"] = SCHEMA_VERSION
    return out


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def write_jsonl(rows: Iterable[Mapping[str, Any]], stream: TextIO) -> int:
    """One JSON object per line, UTF-8 text rather than `\\u` escapes; dates as ISO 8601."""
    count = 0
    for row in rows:
        record = {key: _json_value(value) for key, value in complete(row).items()}
        stream.write(json.dumps(record, ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes as the start of a formula (OWASP, "CSV Injection")."""


def neutralised(cell: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a leading
    single quote, as OWASP recommends (`=HYPERLINK(…)` becomes `'=HYPERLINK(…)`)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_csv(rows: Iterable[Mapping[str, Any]], stream: TextIO, *, raw: bool = False) -> int:
    """RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, a quote
    or a line break (quotes doubled). Null is an empty field, booleans `true`/`false`, lists a
    JSON array, dates ISO 8601. Text that starts like a formula is `neutralised`, unless `raw`.
    `stream` must be opened with `newline=""`."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(NAMES)
    count = 0
    for row in rows:
        writer.writerow(
            [
                _csv_value(value) if raw or not isinstance(value, str) else neutralised(value)
                for value in complete(row).values()
            ]
        )
        count += 1
    return count


def arrow_schema() -> Any:
    """The Parquet schema (a `pyarrow.Schema`), with the schema version in its metadata."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "list<string>": pa.list_(pa.string()),
        "date32": pa.date32(),
        "int64": pa.int64(),
        "double": pa.float64(),
        "bool": pa.bool_(),
        "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema(
        [pa.field(name, types[kind], nullable=nullable) for name, kind, nullable in COLUMNS],
        metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION)},
    )


def write_parquet(
    rows: Iterable[Mapping[str, Any]], sink: IO[bytes], *, row_group_rows: int = ROW_GROUP_ROWS
) -> int:
    """Parquet (zstd), written one row group of `row_group_rows` rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    count = 0
    columns: dict[str, list[Any]] = {name: [] for name in NAMES}
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:

        def flush() -> None:
            writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=schema))
            for values in columns.values():
                values.clear()

        for row in rows:
            for name, value in complete(row).items():
                columns[name].append(value)
            count += 1
            if count % row_group_rows == 0:
                flush()
        if columns["url"]:
            flush()
    return count
