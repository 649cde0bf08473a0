"""The coverage report's model, assembled from the database's rows and the versions' diffs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from crawler.core.versioning import KINDS
from crawler.report.model import (
    Changes,
    EditedArticle,
    HealthRow,
    ReportArticle,
    ReportData,
    ReportEdit,
)
from crawler.versions.diff import version_diff
from storage.db.queries import clusters
from storage.db.report import report_rows

MOST_EDITED = 10
"""Articles shown with their diffs."""


def report_data(
    engine: Engine,
    story: str,
    *,
    most_edited: int = MOST_EDITED,
    include_noarchive: bool = False,
) -> ReportData:
    """Everything the report page shows about `story`; the articles of pages flagged noarchive
    only with `include_noarchive`.

    Raises `UnknownStory` for a story that is not in the database.
    """
    rows = report_rows(engine, story, most_edited=most_edited, include_noarchive=include_noarchive)
    edits = [ReportEdit(u, p, t, n, seen, tuple(k), s) for u, p, t, n, seen, k, s in rows.edits]
    counted = {kind: sum(kind in e.kinds for e in edits) for kind in KINDS}
    changes = Changes(
        kinds=tuple((kind, n) for kind, n in counted.items() if n),
        edits=tuple(sorted(edits, key=lambda e: not e.stealth)),  # stable: newest first within
        walled=tuple(rows.walled),
        noarchive=rows.noarchive,
        noarchive_included=include_noarchive,
    )
    return ReportData(
        story=story,
        title=rows.title,
        generated_at=datetime.now(UTC),
        articles=tuple(ReportArticle(*row) for row in rows.articles),
        edited=tuple(
            EditedArticle(
                url,
                publisher,
                title,
                n,
                first_seen,
                changed,
                version_diff(old_title, old, title, new),
            )
            for url, publisher, old_title, title, n, first_seen, changed, old, new in rows.edited
        ),
        health=tuple(HealthRow(*row) for row in rows.health),
        clusters=tuple(clusters(engine, story)),
        changes=changes,
    )
