"""newsarchive's own Scrapy signals.

`capture_archived(capture: Capture, request: Request, response: Response)` is sent by the WARC
extension after a response record is on disk; the store pipeline records it as a capture.
"""

capture_archived = object()
