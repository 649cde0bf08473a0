"""newsarchive's own Scrapy signals.

`capture_archived(capture: Capture, request: Request, response: Response)` is sent by the WARC
extension after a response record is on disk; the store pipeline records it as a capture.

`stored_through(moment: float)` is sent by the store pipeline when everything it was handed
before `moment` (a `time.monotonic()` value) has been written to the database, or reported as not
stored: after each batch, and on its timer when nothing is waiting. The distributed scheduler
acknowledges a request only then, so that a worker that dies loses nothing it had fetched.

`url_outcome(url: str, outcome: str, reason: str, detail: str | None, source: str | None,
final: bool)` is sent by whatever decides what became of a URL (the spider, the outcomes
middleware); the outcomes extension keeps one outcome per URL (`crawler.core.outcomes`).

`request_refused(request: Request, refusal: Refused)` is sent by a component that refuses a
request where no errback will hear of it (the address guard, when a request is scheduled: Scrapy
then drops it silently); the outcomes extension records the refusal as the URL's outcome.

`request_failed(request: Request, exception: Exception)` is sent where a request ends in an
exception that reaches only its errback (see below); with the outcomes middleware's
`process_exception`, which sees every other one, the outcomes extension hears of every failed
request without the spider's errback.

`outcomes_settled(run_id: int, outcomes: list[UrlOutcome])` is sent by the outcomes extension;
the store pipeline takes them into its batches and returns True, so that one thread writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.signalmanager import SignalManager

    from crawler.core.outcomes import Outcome

capture_archived = object()
"""One fetch as archived: the link between the WARC files and the database."""

stored_through = object()
"""Everything handed to the store pipeline before a moment is written (or reported lost)."""

url_outcome = object()
"""What became of one URL: a final outcome, or (`final=False`) discovery passing it over."""

request_refused = object()
"""A request refused (`crawler.refusals.Refused`) where its errback will not be called."""

request_failed = object()
"""A request that ended in an exception no downloader middleware's `process_exception` sees:
one raised in a `process_response` (a refusal of the limits middlewares) or Scrapy's `HttpError`
(raised in a spider middleware's `process_spider_input`). Sent, with `request` and `exception`,
by the component that raises it, for the outcomes extension."""

outcomes_settled = object()
"""URL outcomes ready to be written: a receiver that takes them returns True."""


def report(
    signals: SignalManager,
    url: str,
    outcome: Outcome,
    reason: str,
    *,
    detail: str | None = None,
    source: str | None = None,
    final: bool = True,
) -> None:
    """Tell the outcomes extension, if it is on, what became of `url`; `final=False` for a URL
    that discovery passes over without requesting it."""
    signals.send_catch_log(
        url_outcome,
        url=url,
        outcome=outcome,
        reason=reason,
        detail=detail,
        source=source,
        final=final,
    )
