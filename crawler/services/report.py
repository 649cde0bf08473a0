"""The coverage report's model, assembled from the database's rows and the versions' diffs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from crawler.report.model import EditedArticle, HealthRow, ReportArticle, ReportData
from crawler.versions.diff import version_diff
from storage.db.queries import clusters
from storage.db.report import report_rows

MOST_EDITED = 10
"""Articles shown with their diffs."""


def report_data(engine: Engine, story: str, *, most_edited: int = MOST_EDITED) -> ReportData:
    """Everything the report page shows about `story`.

    Raises `UnknownStory` for a story that is not in the database.
    """
    rows = report_rows(engine, story, most_edited=most_edited)
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
    )
