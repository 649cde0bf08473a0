"""bench.cpu_marks marks the CPU at a crawl's first request and last response."""

from __future__ import annotations

import pytest
from scrapy import signals
from scrapy.signalmanager import SignalManager

from bench import cpu_marks


def test_the_first_request_and_the_last_response_are_marked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cpu_marks, "_marks", {"first": None, "last": None})
    monkeypatch.setattr(SignalManager, "send_catch_log", cpu_marks._marking)
    manager = SignalManager()
    manager.send_catch_log(signals.request_reached_downloader, request=None, spider=None)
    first = cpu_marks._marks["first"]
    manager.send_catch_log(signals.request_reached_downloader, request=None, spider=None)
    manager.send_catch_log(signals.response_received, response=None, request=None, spider=None)
    assert first is not None and cpu_marks._marks["first"] == first
    assert cpu_marks._marks["last"] is not None and cpu_marks._marks["last"] >= first
    cpu_marks._report()
    assert "to the first request" in capsys.readouterr().err


def test_the_collectors_time_is_summed_and_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cpu_marks, "_marks", {"first": 0.0, "last": 0.0})
    monkeypatch.setattr(cpu_marks, "_collector", {"started": 0.0, "total": 0.0})
    for _ in range(2):
        cpu_marks._collecting("start", {})
        sum(range(200_000))  # CPU spent "collecting"
        cpu_marks._collecting("stop", {})
    assert cpu_marks._collector["total"] > 0
    cpu_marks._report()
    assert f"the collector {cpu_marks._collector['total']:.2f} s" in capsys.readouterr().err
