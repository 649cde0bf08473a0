"""The revisit policy: intervals grow with unchanged fetches and with age, capped, and stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.core.revisit import PreviousCapture, RevisitPolicy, parse_duration

T0 = datetime(2025, 2, 4, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(days=14)
    with pytest.raises(ValueError, match="number and a unit"):
        parse_duration("1 hour")


def test_fresh_articles_are_checked_hourly_then_less_often() -> None:
    policy = RevisitPolicy()
    assert policy.interval(0, timedelta(0)) == HOUR
    assert policy.interval(1, timedelta(0)) == 2 * HOUR
    assert policy.interval(3, timedelta(0)) == 8 * HOUR
    assert policy.interval(30, timedelta(0)) == timedelta(days=1)  # capped


def test_old_articles_are_checked_less_often_even_after_a_change() -> None:
    policy = RevisitPolicy()
    assert policy.interval(0, timedelta(days=5)) == 12 * HOUR  # 5 days * 0.1
    assert policy.interval(0, timedelta(days=50)) == timedelta(days=1)


def test_revisits_stop_after_the_configured_time() -> None:
    policy = RevisitPolicy(stop_after=timedelta(days=2))
    assert policy.next_due(fetched_at=T0, first_seen=T0, unchanged=0) == T0 + HOUR
    late = T0 + timedelta(days=1, hours=23, minutes=30)
    assert policy.next_due(fetched_at=late, first_seen=T0, unchanged=0) is None


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max"):
        RevisitPolicy(first=timedelta(days=2), max=timedelta(days=1))
    with pytest.raises(ValueError, match="factor"):
        RevisitPolicy(factor=0.5)


def test_conditional_headers_come_from_the_validators() -> None:
    previous = PreviousCapture("u", "<urn:uuid:1>", "u", T0, "sha1:X", '"abc"', "Tue, 04 Feb 2025")
    assert previous.conditional_headers() == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Tue, 04 Feb 2025",
    }
    assert PreviousCapture("u", "<urn:uuid:1>", "u", T0, "sha1:X").conditional_headers() == {}


def test_intervals_never_overflow_however_long_a_page_stays_unchanged() -> None:
    policy = RevisitPolicy(stop_after=timedelta(days=3000), max=timedelta(days=3000))
    assert policy.interval(10_000, timedelta(days=1)) == timedelta(days=3000)
    assert policy.next_due(fetched_at=T0, first_seen=T0, unchanged=500) is not None


@pytest.mark.parametrize("factor", [float("nan"), float("inf"), 1e9])
def test_non_finite_or_huge_factors_are_refused(factor: float) -> None:
    with pytest.raises(ValueError, match="factor"):
        RevisitPolicy(factor=factor)


def test_huge_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 10 years"):
        parse_duration("99999999999d")
