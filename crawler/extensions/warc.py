"""Archive every HTTP response to WARC at the downloader boundary."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import settings as defaults
from crawler.core import meta
from crawler.core.access import WALL_STATUSES
from crawler.core.datadir import settings_warc_dir
from crawler.core.revisit import PreviousCapture
from crawler.core.story import Story
from crawler.identity import identity_of
from crawler.services.door import exchange_rights
from crawler.services.exchange import Archived, capture_of
from crawler.signals import capture_archived
from storage.warc import (
    HttpRequestData,
    HttpResponseData,
    RevisitProfile,
    WarcWriter,
    compute_payload_digest,
)

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response

logger = logging.getLogger(__name__)

_TRUNCATED = {"dataloss": "disconnect", "download_stopped": "unspecified"}
"""Scrapy response flags that mean an incomplete body, and the WARC-Truncated reason for each."""

_UNCHANGED: dict[RevisitProfile, str] = {
    "server-not-modified": "not-modified",
    "identical-payload-digest": "identical",
}
"""`request.meta["unchanged"]` after each kind of revisit (the spider then skips extraction)."""


class WarcExtension:
    """Writes a response record and a request record for every HTTP response downloaded.

    It listens to `response_downloaded`, which the downloader sends as soon as the download
    handler returns, before any downloader middleware sees the response: `response.body` is the
    payload as transferred (still gzip- or br-compressed, HttpCompressionMiddleware decodes it
    later), and robots.txt, redirects and error statuses are archived like pages. Some of the
    wire never reaches Scrapy, so the records cannot hold it:

    - the reason phrase: Scrapy's HTTP/1.1 handler drops the server's, so the standard phrase for
      the status (`http.HTTPStatus`) is written, or none for a non-standard status;
    - message framing: Twisted consumes the hop-by-hop Transfer-Encoding and Connection headers
      and de-chunks the body, and Scrapy re-adds Content-Length when the length was known;
    - header spelling and order: Scrapy title-cases names ("ETag" becomes "Etag") and groups the
      lines of a repeated header together (all kept, in order).

    A recrawl does not archive an unchanged page again. When the request carries
    `meta["previous"]` (a `PreviousCapture`: the last capture that holds a body) and the server
    answers 304, or 200 with a body of the same payload digest, a revisit record referring to that
    capture is written in place of the response record (profile server-not-modified or
    identical-payload-digest), `request.meta["unchanged"]` is set to "not-modified" or
    "identical", and `warc/revisits/<profile>` counts it.

    After writing, `request.meta["warc_record_id"]` holds the response (or revisit) record's
    WARC-Record-ID (and `request.meta["fetched_at"]` its WARC-Date),
    the stats `warc/records`, `warc/bytes` and `warc/files` grow, and the `capture_archived`
    signal announces a `Capture`. A failed write (disk full…) is logged at ERROR with the URL and
    counted in `warc/errors`; the crawl goes on. Writing happens on the reactor thread, inside the
    signal handler (about 1 ms for a typical gzip-encoded page, 6 ms for 100 kB of uncompressed
    HTML: warcio gzips at level 9).

    The `.open` files a crashed crawl left are recovered before this extension is built, by the
    database extension (`crawler.extensions.database`), which also reconciles the database.
    """

    def __init__(
        self, crawler: Crawler, writer: WarcWriter, *, revisit_requests: bool = True
    ) -> None:
        self.crawler = crawler
        self.writer = writer
        self.revisit_requests = revisit_requests
        """Whether a revisit record is followed by its request record (`WARC_REVISIT_REQUESTS`)."""
        self._filename: str | None = None
        self.obey_noarchive = False
        """The story's `[archive] noarchive` is `obey`: a response that asks not to be archived
        is not written."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", defaults.WARC_ENABLED):
            raise NotConfigured("WARC_ENABLED is off")
        directory = settings_warc_dir(settings)
        warcinfo = {
            "http-header-user-agent": settings.get("USER_AGENT") or "",
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        story = getattr(crawler.spider, "story", None)
        if story is not None:
            warcinfo = {"isPartOf": str(story.name), **warcinfo}
        writer = WarcWriter(
            directory,
            prefix=settings.get("WARC_PREFIX", defaults.WARC_PREFIX),
            max_size=settings.getint("WARC_MAX_SIZE", defaults.WARC_MAX_SIZE),
            gzip=settings.getbool("WARC_GZIP", defaults.WARC_GZIP),
            gzip_level=settings.getint("WARC_GZIP_LEVEL", defaults.WARC_GZIP_LEVEL),
            warcinfo=warcinfo,
        )
        extension = cls(
            crawler,
            writer,
            revisit_requests=settings.getbool(
                "WARC_REVISIT_REQUESTS", defaults.WARC_REVISIT_REQUESTS
            ),
        )
        extension.obey_noarchive = isinstance(story, Story) and story.archive.noarchive == "obey"
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.close, signal=signals.spider_closed)
        crawler.signals.connect(extension.close, signal=signals.engine_stopped)
        return extension

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Archive one exchange, then tag the request and announce the capture."""
        if urlsplit(response.url).scheme not in ("http", "https"):
            return  # data:, file:, s3: responses are not HTTP exchanges
        # WARC-Date should mark when the capture began; Scrapy keeps no start time, so this is
        # when the whole body had arrived (later by the download time).
        fetched_at = datetime.now(UTC)
        stats = self.crawler.stats
        previous: PreviousCapture | None = request.meta.get("previous")
        if previous is not None and previous.url != identity_of(request):
            # Scrapy copies meta into a redirect's new request: the previous capture belongs to
            # the URL that redirected, not to this one.
            previous = None
        if self._obey_noarchive(response, request):
            return
        profile = _revisit_profile(response, previous)
        request_data = _request_data(request)
        response_data = _response_data(response, request.meta.get(meta.TRUNCATED))
        ip_address = None if response.ip_address is None else str(response.ip_address)
        try:
            if profile is None or previous is None:
                location = self.writer.write_exchange(
                    request_data, response_data, fetched_at=fetched_at, ip_address=ip_address
                )
            else:
                location = self.writer.write_revisit(
                    request_data,
                    response_data,
                    profile=profile,
                    refers_to_record_id=previous.record_id,
                    refers_to_uri=previous.target_uri,
                    refers_to_date=previous.fetched_at,
                    payload_digest=previous.payload_digest,
                    fetched_at=fetched_at,
                    ip_address=ip_address,
                    request_record=self.revisit_requests,
                )
        except Exception:
            stats.inc_value("warc/errors")
            logger.exception("Could not archive %s to WARC", response.url)
            return
        stats.inc_value("warc/records", 1 if location.request_record_id is None else 2)
        stats.inc_value("warc/bytes", location.length + location.request_length)
        if location.filename != self._filename:
            self._filename = location.filename
            stats.inc_value("warc/files")
        if profile is None:
            # Meta copied from a request that got a revisit must not mark this response unchanged.
            request.meta.pop("unchanged", None)
        else:
            stats.inc_value(f"warc/revisits/{profile}")
            request.meta["unchanged"] = _UNCHANGED[profile]
        request.meta["warc_record_id"] = location.record_id
        request.meta["fetched_at"] = fetched_at
        # the record as written: the capture and the page are read from it, as every door does;
        # only an answer that can be a page keeps it (a redirect's meta is copied onward)
        if 200 <= response.status < 300 or response.status in WALL_STATUSES:
            request.meta[meta.WARC_RECORD] = location.record
        else:
            request.meta.pop(meta.WARC_RECORD, None)
        self.crawler.signals.send_catch_log(
            capture_archived,
            capture=capture_of(Archived.written(location)),
            request=request,
            response=response,
        )

    def _obey_noarchive(self, response: Response, request: Request) -> bool:
        """Whether the response is left out of the archive: it asks not to be archived and the
        story's `[archive] noarchive` policy is `obey`. Then nothing is written, the request is
        marked (`meta.NOARCHIVE`) for the spider to say why, and `warc/noarchive_obeyed` counts
        it."""
        if not self.obey_noarchive:
            return False
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items()
            for value in values
        ]
        rights = exchange_rights(response.url, response.status, headers, response.body)
        if not rights.noarchive:
            return False
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("warc/noarchive_obeyed")
        request.meta[meta.NOARCHIVE] = rights.source
        for key in (meta.WARC_RECORD, meta.WARC_RECORD_ID, meta.FETCHED_AT, meta.UNCHANGED):
            request.meta.pop(key, None)
        return True

    def close(self) -> None:
        """Finish the current WARC file; both spider_closed and engine_stopped call it."""
        self.writer.close()


def _header_lines(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Every header line, repeats included, as the bytes Scrapy holds (undecoded, so that
    non-ASCII values are archived as they were)."""
    return [(name, value) for name in headers for value in headers.getlist(name)]


def _request_data(request: Request) -> HttpRequestData:
    """The request as Twisted's HTTP/1.1 client sends it (storage appends Host, last, like it)."""
    headers = [
        (name, value)
        for name, value in _header_lines(request.headers)
        # Meant for a proxy, never sent to the site, and a credential: not archived.
        if name.lower() != b"proxy-authorization"
    ]
    if (request.body or request.method in ("POST", "PUT")) and not any(
        name.lower() == b"content-length" for name, _ in headers
    ):
        # Twisted writes Content-Length first for a request with a body, or a POST or PUT.
        headers.insert(0, (b"Content-Length", b"%d" % len(request.body)))
    return HttpRequestData(
        method=request.method,
        url=request.url,
        protocol="HTTP/1.1",
        headers=headers,
        body=request.body,
    )


def _response_data(response: Response, truncated: str | None = None) -> HttpResponseData:
    try:
        reason = HTTPStatus(response.status).phrase  # the handler dropped the server's phrase
    except ValueError:
        reason = ""
    protocol = response.protocol or ""
    truncated = truncated or next((_TRUNCATED[f] for f in response.flags if f in _TRUNCATED), None)
    return HttpResponseData(
        status=response.status,
        reason=reason,
        # A WARC response record holds an HTTP/1.x message; HTTP/2 ("h2") is written as 1.1.
        protocol=protocol if protocol.startswith("HTTP/") else "HTTP/1.1",
        headers=_header_lines(response.headers),
        body=response.body,
        truncated=truncated,
    )


def _revisit_profile(response: Response, previous: PreviousCapture | None) -> RevisitProfile | None:
    """The kind of revisit of `previous` that `response` is, or None if it brings a new body."""
    if previous is None:
        return None
    if response.status == 304:
        return "server-not-modified"
    if response.status == 200 and compute_payload_digest(response.body) == previous.payload_digest:
        return "identical-payload-digest"
    return None
