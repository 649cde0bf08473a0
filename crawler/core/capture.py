"""One fetch as archived: the link between the WARC files and the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Capture:
    """A response written to the archive, with where to find it again.

    Made by the WARC extension for every response (robots.txt, feeds, sitemaps, redirects and
    errors included) and announced with the `capture_archived` signal. A recrawl that brought
    nothing new is archived as a revisit record, which holds no body but names the record that
    does (`refers_to`).
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
    """`WARC-Record-ID` of the response (or revisit) record."""
    request_record_id: str | None
    payload_digest: str
    """`WARC-Payload-Digest` of the body this capture stands for, e.g. 'sha1:…': for a revisit,
    the digest of the original's body."""
    record_type: str = "response"
    """'response', or 'revisit' when the record holds no body."""
    revisit_profile: str | None = None
    """Why a revisit holds no body: 'server-not-modified' (a 304) or 'identical-payload-digest'."""
    refers_to: str | None = None
    """For a revisit, `WARC-Record-ID` of the response record that holds the body."""
    etag: str | None = None
    """The `ETag` validator for the next conditional request (for a 304 that sent none, the
    previous capture's)."""
    last_modified: str | None = None
    """The `Last-Modified` validator, as `etag`."""
    flags: tuple[str, ...] = ()
    """What is wrong with the record as archived (`FLAGS`), sorted; empty for a sound one."""
    declared_length: int | None = None
    """For a record cut short (flag `truncated` from its bytes), the block length it declares."""
    via: str | None = None
    """The web archive the exchange was copied from (`newsarchive backfill`: the `[[archives]]`
    name); None for the crawl's own fetches and files ingested. `fetched_at` is then the
    archive's capture time, not when we copied it."""
    requisites_asked: bool = False
    """The crawl that archived it asked for the requisites of the page it stands for (its body,
    or for a revisit the body it refers to); False for every other door."""


DIGEST_MISMATCH = "digest-mismatch"
"""The record's WARC-Block-Digest or WARC-Payload-Digest does not match its bytes."""
TRUNCATED = "truncated"
"""The record holds less than the whole response: WARC-Truncated says so, or its bytes stop
before the length it declares (`Capture.declared_length`)."""
NO_CONTENT_TYPE = "no-content-type"
"""The response names no Content-Type (whether it is HTML was sniffed from the body)."""
BAD_DATE = "bad-date"
"""WARC-Date does not parse; `fetched_at` comes from the HTTP Date header, or what of the
WARC-Date does parse."""
NONSTANDARD_VERSION = "nonstandard-version"
"""A WARC version other than 1.0 or 1.1 (0.17, 0.18), or an ARC record."""
FLAGS = (BAD_DATE, DIGEST_MISMATCH, NO_CONTENT_TYPE, NONSTANDARD_VERSION, TRUNCATED)
"""What can be wrong with a record that is still read and stored, whatever crawler wrote it:
each is a property of the record as archived, never repaired away."""
