"""Requests the crawl refuses to fetch or to hand on, each with a `reason`.

Every refusal is an `IgnoreRequest` (Scrapy then calls the request's errback and logs nothing
itself) with a short, stable `reason` ("blocked-address", "too-large"…) that says why, so that
whoever records the outcome of a URL can map the class to an outcome without parsing messages.
The component that raises one has already counted it in the stats and logged it with the URL.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.core.outcomes import Outcome


class Refused(IgnoreRequest):
    """A request refused for `reason`; `detail` says what was seen."""

    reason = "refused"

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"{url} refused ({self.reason}): {detail}")
        self.url = url
        self.detail = detail


class BlockedAddress(Refused):
    """The host is, or resolves to, a private, loopback, link-local or otherwise internal
    address that is not a source of the story (crawler/middlewares/guard.py)."""

    reason = "blocked-address"


class TooLarge(Refused):
    """The body is larger than DOWNLOAD_MAXSIZE, on the wire or once decompressed."""

    reason = "too-large"


class UrlTooLong(Refused):
    """The URL is longer than URLLENGTH_LIMIT."""

    reason = "url-too-long"


class RedirectLoop(Refused):
    """A redirect leads back to a URL of its own chain."""

    reason = "redirect-loop"


class TooManyRedirects(Refused):
    """A chain of redirects longer than REDIRECT_MAX_TIMES."""

    reason = "redirect-limit"


_DOWNLOAD_ERRORS: tuple[tuple[type[BaseException], str], ...] = (
    (CannotResolveHostError, "dns"),
    (DownloadConnectionRefusedError, "connection-refused"),
    (DownloadTimeoutError, "timeout"),
    (TimeoutError, "timeout"),
    (ResponseDataLossError, "data-loss"),
    (UnsupportedURLSchemeError, "unsupported-scheme"),
    (DownloadFailedError, "download-failed"),
    (ConnectionError, "connection-error"),
)


def failure_outcome(error: BaseException) -> tuple[Outcome, str, str]:
    """(outcome, reason, detail) of a request that ended in `error`.

    An exception with a `reason` string names its own reason (a refusal raised as an
    `IgnoreRequest` subclass is a skip, any other exception a failure); otherwise the reason
    comes from the exception's type: an HTTP error status, robots.txt, DNS, a refused connection…
    """
    message = str(error) or type(error).__name__
    skipped = isinstance(error, IgnoreRequest)
    own = getattr(error, "reason", None)
    if isinstance(own, str) and own:
        return ("skipped" if skipped else "failed"), own, message
    if isinstance(error, HttpError) and error.response is not None:
        status = error.response.status
        return "failed", f"http-{status}", f"answered HTTP {status}"
    if skipped:
        if "robots.txt" in message:
            return "skipped", "robots", message
        if "offsite" in message.lower():
            return "skipped", "off-site", message
        return "skipped", "ignored", message
    if isinstance(error, DownloadCancelledError):
        too_large = "max size" in message or "maxsize" in message
        return "failed", "too-large" if too_large else "cancelled", message
    for kind, reason in _DOWNLOAD_ERRORS:
        if isinstance(error, kind):
            return "failed", reason, message
    return "failed", "error", f"{type(error).__name__}: {message}"
