"""A report with something in every section, for the render and browser tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from crawler.core.clusters import Cluster, ClusterMember
from crawler.report.model import (
    EditedArticle,
    HealthRow,
    ReportArticle,
    ReportData,
)
from crawler.versions.diff import version_diff

T0 = datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
PUBLISHERS = ["Daily <Example>", "Other Times", "Third Post"]


def sample_report() -> ReportData:
    articles = []
    for i in range(24):
        publisher = PUBLISHERS[i % 3]
        articles.append(
            ReportArticle(
                url=f"http://127.0.0.1:8001/{i}?a=1&b=<2>",
                publisher=publisher,
                title=f"Article {i} <script>alert(1)</script>",
                published=date(2025, 2, 1) + timedelta(days=i % 6) if i % 5 else None,
                first_seen=T0 + timedelta(hours=i),
                relevant=i % 2 == 0,
                versions=1 + (i % 4 == 0),
            )
        )
    edited = (
        EditedArticle(
            url="http://127.0.0.1:8001/0",
            publisher=PUBLISHERS[0],
            title="Bukele offers CECOT",
            versions=3,
            first_seen=T0,
            last_changed=T0 + timedelta(days=1),
            diff=version_diff(
                "Bukele offers prisons",
                "El Salvador offers to house 100 prisoners.",
                "Bukele offers CECOT",
                "El Salvador offers to house 300 prisoners & more.",
            ),
        ),
    )
    health = (
        HealthRow(PUBLISHERS[0], date(2025, 2, 3), 10, 8, 8, 8, 7),
        HealthRow(PUBLISHERS[0], date(2025, 2, 4), 10, 2, 2, 1, 0),
        HealthRow(PUBLISHERS[1], date(2025, 2, 3), 5, 0, 0, 0, 0),
    )
    clusters = (
        Cluster(
            7,
            (
                ClusterMember(
                    "http://127.0.0.1:8001/0",
                    PUBLISHERS[0],
                    "Wire <copy>",
                    date(2025, 2, 3),
                    T0,
                    True,
                ),
                ClusterMember(
                    "http://127.0.0.1:8002/9", PUBLISHERS[1], None, date(2025, 2, 4), T0, False
                ),
            ),
        ),
    )
    return ReportData(
        "el-salvador", "El Salvador & US prisoners", T0, tuple(articles), edited, health, clusters
    )
