"""Requests the crawl refuses to fetch or to hand on, each with a `reason`.

Every refusal is an `IgnoreRequest` (Scrapy then calls the request's errback and logs nothing
itself) with a short, stable `reason` ("blocked-address", "too-large"…) that says why, so that
whoever records the outcome of a URL can map the class to an outcome without parsing messages.
The component that raises one has already counted it in the stats and logged it with the URL.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


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
