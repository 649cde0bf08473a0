"""One fetch as archived: the link between the WARC files and the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Capture:
    """A response written to the archive, with where to find it again.

    Made by the WARC extension for every response (robots.txt, feeds, sitemaps, redirects and
    errors included) and announced with the `capture_archived` signal.
    """

    url: str
    """The URL requested (for a redirect, the URL that answered with the redirect)."""
    fetched_at: datetime
    status: int
    content_type: str | None
    location: str | None
    """The `Location` header of a redirect, resolved to an absolute URL."""
    warc_filename: str
    """File name inside the WARC directory, as it is once closed (without `.open`)."""
    warc_offset: int
    warc_length: int
    warc_record_id: str
    """`WARC-Record-ID` of the response record."""
    request_record_id: str | None
    payload_digest: str
    """`WARC-Payload-Digest` of the response record, e.g. 'sha1:…'."""
