"""A crawl that lost writes (a WARC record or a database batch it could not write) exits 1 and
says what it lost; retried writes that succeeded lost nothing (tests/integration/test_disk_full.py
does it on a full disk)."""

from __future__ import annotations

import pytest

from crawler.cli.crawl import crawl_status, lost_writes


def stats(**values: int) -> dict[str, object]:
    return {
        "finish_reason": "finished",
        "downloader/response_count": 10,
        **{k.replace("__", "/"): v for k, v in values.items()},
    }


def test_nothing_lost_is_success() -> None:
    assert crawl_status(stats(db__errors=1), "s") == 0  # a retry that worked
    assert lost_writes(stats(db__errors=1)) == ""


def test_lost_records_or_rows_fail_the_crawl(capsys: pytest.CaptureFixture[str]) -> None:
    assert crawl_status(stats(warc__errors=3), "s") == 1
    assert "3 responses could not be archived" in capsys.readouterr().err
    assert crawl_status(stats(db__lost=40), "s") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "40 database rows could not be written" in err
    both = lost_writes(stats(warc__errors=3, db__lost=40))
    assert "3 responses" in both and "40 database rows" in both and "a full disk?" in both
