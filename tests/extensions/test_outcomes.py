"""How a failed request's exception becomes its outcome (crawler.extensions.outcomes)."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.extensions.outcomes import failure_outcome, url_key


class BlockedAddress(IgnoreRequest):
    reason = "blocked-address"


class Oversized(Exception):
    def __init__(self) -> None:
        super().__init__("body over the limit")
        self.reason = "too-large"


def http_error(status: int) -> HttpError:
    response = Response("http://news.example/a", status=status, request=Request("http://x/"))
    return HttpError(response, "Ignoring non-200 response")


@pytest.mark.parametrize(
    ("error", "outcome", "reason"),
    [
        (http_error(500), "failed", "http-500"),
        (http_error(403), "failed", "http-403"),
        (IgnoreRequest("Forbidden by robots.txt"), "skipped", "robots"),
        (IgnoreRequest("Filtered offsite request to 'other.example'"), "skipped", "off-site"),
        (IgnoreRequest("some middleware said no"), "skipped", "ignored"),
        (BlockedAddress("10.0.0.1 is private"), "skipped", "blocked-address"),
        (Oversized(), "failed", "too-large"),
        (CannotResolveHostError("no such host"), "failed", "dns"),
        (DownloadConnectionRefusedError("refused"), "failed", "connection-refused"),
        (DownloadTimeoutError("took longer than 30 seconds"), "failed", "timeout"),
        (
            DownloadCancelledError("Received 9 bytes which is larger than download max size (5)"),
            "failed",
            "too-large",
        ),
        (ValueError("odd"), "failed", "error"),
    ],
)
def test_each_failure_has_its_reason(error: BaseException, outcome: str, reason: str) -> None:
    got_outcome, got_reason, detail = failure_outcome(error)
    assert (got_outcome, got_reason) == (outcome, reason)
    assert detail


def test_an_unknown_exception_names_its_type_in_the_detail() -> None:
    assert failure_outcome(ValueError("odd")) == ("failed", "error", "ValueError: odd")


def test_outcomes_are_kept_by_normalised_url_and_invalid_ones_as_met() -> None:
    assert url_key("HTTP://News.Example:80/a?utm_source=x#top") == "http://news.example/a"
    assert url_key("http://[::1") == "http://[::1"
