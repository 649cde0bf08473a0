"""The progress display's counts per publisher, its plain line and its live table (the crawl as
a whole: tests/integration/test_console.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.extensions.progress import (
    ProgressExtension,
    progress_mode,
    publisher_counts,
    publisher_stat,
)

HOST = "news.example:8080"


def test_counts_per_publisher_a_plain_line_and_a_table() -> None:
    crawler = get_crawler()
    assert crawler.stats is not None
    out = StringIO()
    extension = ProgressExtension(crawler.stats, 10, "lines", {HOST: "Daily Example"}, out)
    url = f"http://{HOST}/a"
    extension.response_received(HtmlResponse(url), Request(url, meta={"source": HOST}))
    other = "http://elsewhere.example/x"  # a request without a source: its host counts
    extension.response_received(HtmlResponse(other), Request(other))
    crawler.stats.set_value("downloader/response_count", 2)
    crawler.stats.inc_value(publisher_stat(HOST, "errors"))
    crawler.stats.inc_value("discovery/failed/http_500")
    stats = crawler.stats.get_stats()
    assert publisher_counts(stats, HOST) == {
        "fetched": 1,
        "articles": 0,
        "relevant": 0,
        "errors": 1,
    }
    assert publisher_counts(stats, "elsewhere.example")["fetched"] == 1
    assert extension.hosts() == [HOST, "elsewhere.example"]
    extension._print_line()
    line = out.getvalue()
    assert line.startswith("[0:00] fetched 2 pages") and "errors 1" in line
    screen = StringIO()
    Console(file=screen, width=100).print(extension.table())
    rows = {line.split()[0]: line.split() for line in screen.getvalue().splitlines() if line}
    assert rows["Daily"][-4:] == ["1", "0", "0", "1"]
    assert rows["elsewhere.example"][-4:] == ["1", "0", "0", "0"]
    assert rows["total"][-4:] == ["2", "0", "0", "1"]


def test_the_mode_is_checked() -> None:
    assert progress_mode(" Live ") == "live"
    with pytest.raises(ValueError, match="NEWSARCHIVE_PROGRESS must be one of auto, live"):
        progress_mode("loud")
