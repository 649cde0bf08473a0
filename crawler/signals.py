"""newsarchive's own Scrapy signals.

`capture_archived(capture: Capture, request: Request, response: Response)` is sent by the WARC
extension after a response record is on disk; the store pipeline records it as a capture.

`stored_through(moment: float)` is sent by the store pipeline when everything it was handed
before `moment` (a `time.monotonic()` value) has been written to the database, or reported as not
stored: after each batch, and on its timer when nothing is waiting. The distributed scheduler
acknowledges a request only then, so that a worker that dies loses nothing it had fetched.
"""

capture_archived = object()

stored_through = object()
