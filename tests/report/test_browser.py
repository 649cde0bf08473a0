"""The report page in a real browser: it loads with no console errors, asks for nothing but
itself, and its chart is drawn."""

from __future__ import annotations

from pathlib import Path

from crawler.report.render import render_report
from tests.report.browser import coloured_share, open_report
from tests.report.sample import sample_report


def test_report_loads_cleanly_and_draws_its_chart(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_report(sample_report()), encoding="utf-8")
    check = open_report(page)
    assert check.severe == []
    assert check.requests and all(url.startswith("file://") for url in check.requests)
    share, colours = coloured_share(check.chart_png)
    assert share > 0.02, "the chart is blank"
    # one colour per publisher (three), give or take anti-aliased edges
    assert colours >= 3
