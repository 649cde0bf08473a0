"""The one door: an archived page into an extraction, a judgement, aliases and an outcome.

Every way a page comes in — the crawl (its extract pipeline, in a worker process), ingest of other
crawlers' files, recovery after a crash, `verify --repair`, re-extraction — calls `process` on the
record that holds it, with extraction options resolved once from the `EXTRACT_*` settings
(`ExtractOptions.from_settings`). One function reads the page (`storage.warc.page_from_record`,
or `page_from_revisit` for a revisit that stands for another URL's body), one rule says whether it
is a page to extract (`crawler.core.page.not_a_page`: a 2xx http(s) answer, HTML by its
Content-Type or, when it names none, by sniffing), and a page that cannot be read (a body that does
not decode, a record that does not parse) is stored as an extraction whose reason starts with
`error:`, counted like any failed extraction, never dropped.

`crawler.services.exchange` is the other half: the capture of the same record. `rows` puts the two
together for the doors that read whole files (ingest and recovery).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from crawler.clustering.signatures import ClusterOptions, sign
from crawler.core.access import OPEN, WALL_STATUSES, AccessCheck
from crawler.core.article import Extraction, Relevance
from crawler.core.capture import TRUNCATED, Capture
from crawler.core.items import Processed, RevisitOutcome
from crawler.core.outcomes import Outcome
from crawler.core.page import PageInput, is_html, not_a_page
from crawler.core.record import WarcRecord
from crawler.core.rights import ArchivePolicy, Rights, page_rights
from crawler.core.story import Story
from crawler.core.urls import host_of, normalise_url
from crawler.extraction.options import ExtractOptions
from crawler.extraction.relevance import score
from storage.db.records import PageRecord, RevisitRecord
from storage.warc import decode_body, page_from_record, page_from_revisit

logger = logging.getLogger(__name__)

PARTIAL = "partial: the archived response is truncated, the text may be incomplete"
"""The extraction reason of an article read from a truncated record."""
GONE = (404, 410)


def process(
    record: WarcRecord,
    options: ExtractOptions,
    *,
    story: Story | None = None,
    hints: Mapping[str, str] | None = None,
    aliases: Sequence[str] = (),
    original: WarcRecord | None = None,
    flags: Sequence[str] = (),
    clusters: ClusterOptions | None = None,
) -> Processed:
    """What the database keeps of the page in `record` (a response or resource record, or a
    revisit whose body is in `original`), and the URL's outcome.

    `aliases` are the URLs that redirected to it, nearest first (`exchange.RedirectIndex`);
    `hints` what a feed or sitemap said of it (a publication date the page does not state);
    `flags` its capture's flags: the article of a truncated page (so flagged, or marked
    WARC-Truncated) says in its extraction's reason that its text may be partial.
    With `clusters`, an article's text is signed for clustering here, where the text is, so the
    process that stores it does not have to.
    Pure but for reading its arguments: it runs in extraction workers.
    """
    # imported here: trafilatura loads in a worker that extracts, not in a crawl's main process
    # (which imports this module for the records and captures it makes)
    from crawler.extraction.extract import extract, not_an_article

    final_url = record.target_uri or ""
    fetched_at, _ = record.fetch_time()
    assert fetched_at is not None, "a capture has a date (exchange.capture_of)"
    first = aliases[-1] if aliases else final_url

    def done(
        extraction: Extraction | None,
        outcome: Outcome,
        reason: str,
        detail: str | None = None,
        *,
        access: AccessCheck = OPEN,
        marks: _Marks | None = None,
    ) -> Processed:
        marks = marks or _Marks()
        relevance = _judge(extraction, story) if not access.walled else None
        article = extraction.article if extraction is not None else None
        signed = (
            sign(article.text, article.text_sha256, clusters)
            if clusters is not None and article is not None
            else None
        )
        return Processed(
            first,
            final_url,
            fetched_at,
            tuple(aliases),
            extraction,
            relevance,
            outcome,
            reason,
            detail,
            access=access,
            rights=marks.rights,
            noarchive=marks.noarchive,
            description=marks.description,
            signature=signed,
        )

    body = original if record.rec_type == "revisit" else record
    if body is None:
        return done(None, "archived", "revisit-without-original")
    status = 200 if body.rec_type == "resource" else (body.status or 0)
    content_type = (
        body.warc_header("Content-Type")
        if body.rec_type == "resource"
        else body.http_header("Content-Type")
    )
    why = not_a_page(final_url, status, content_type, None)
    walls_only = why is not None and status in WALL_STATUSES and is_html(content_type, b"")
    if why is not None and not walls_only:
        return done(None, *_not_a_page_outcome(why, status, content_type))
    try:
        page = page_from_revisit(record, body) if body is not record else page_from_record(body)
    except ValueError as exc:  # ContentDecodingError, WarcReadError: the page cannot be read
        if walls_only:
            return done(None, *_not_a_page_outcome(f"http-{status}", status, content_type))
        error = not_an_article(f"error: {type(exc).__name__}: {exc}", options)
        return done(error, "failed", "extraction-error", error.reason)
    policy = story.archive if story is not None else ArchivePolicy()
    rights = page_rights(page)
    marks = _Marks(
        rights.source or None,
        rights.noarchive and policy.noarchive == "flag",
        (hints or {}).get("description") or None,
    )
    if walls_only:
        # a 401/403/429/503: a wall in the article's place, or a plain failure
        access = _access(page, not_an_article(f"http-{status}", options))
        if not access.walled:
            return done(None, *_not_a_page_outcome(f"http-{status}", status, content_type))
        walled = not_an_article(f"walled: {access.access}", options)
        return done(walled, *wall_outcome(access), access=access, marks=marks)
    why = not_a_page(page.final_url, page.status, page.header("Content-Type"), page.body)
    if why is not None:
        return done(None, *_not_a_page_outcome(why, status, content_type), marks=marks)
    extraction = with_listing_date(extract(page, options), hints or {})
    cut = TRUNCATED in flags or body.warc_header("WARC-Truncated") is not None
    if extraction.article is not None and cut:
        extraction = dataclasses.replace(extraction, reason=PARTIAL)
    access = _access(page, extraction)
    if not access.walled:
        return done(extraction, *extraction_outcome(extraction), access=access, marks=marks)
    walled = dataclasses.replace(extraction, reason=f"walled: {access.access}")
    return done(walled, *wall_outcome(access), access=access, marks=marks)


@dataclasses.dataclass(frozen=True, slots=True)
class _Marks:
    """What a read page says beside its extraction: its rights signals and the feed's word."""

    rights: str | None = None
    noarchive: bool = False
    description: str | None = None


def _access(page: PageInput, extraction: Extraction) -> AccessCheck:
    from crawler.extraction.access import check_access  # see `process`

    return check_access(page, extraction)


def wall_outcome(access: AccessCheck) -> tuple[Outcome, str, str | None]:
    """The outcome of a capture that shows a wall in the article's place: stored (the capture
    and its extraction, with the access and its evidence), as no article; the reason names the
    wall ('wall-consent'), the detail its evidence."""
    return "stored", f"wall-{access.access}", access.reason


def _judge(extraction: Extraction | None, story: Story | None) -> Relevance | None:
    if story is None or extraction is None or extraction.article is None:
        return None
    return score(extraction.article, story)


def extraction_outcome(extraction: Extraction) -> tuple[Outcome, str, str | None]:
    """The outcome of a page that went through extraction: stored as an article, or as a page
    that is none (with why), or failed when extraction raised."""
    if extraction.article is not None:
        return "stored", "article", extraction.reason
    if (extraction.reason or "").startswith("error"):
        return "failed", "extraction-error", extraction.reason
    return "stored", "not-article", extraction.reason


def _not_a_page_outcome(
    why: str, status: int, content_type: str | None
) -> tuple[Outcome, str, str | None]:
    if why.startswith("http-"):
        if 300 <= status < 400:
            return "redirected", "redirect", f"HTTP {status}"
        return "failed", why, f"answered HTTP {status}"
    return "archived", why, content_type or "no Content-Type"


def with_listing_date(extraction: Extraction, hints: Mapping[str, str]) -> Extraction:
    """The publication date from the feed or news sitemap that listed the page, when the page
    itself states none: the listing's date is the publisher's own word too."""
    article = extraction.article
    listed = hints.get("published")
    if article is None or article.published is not None or not listed:
        return extraction
    published = date.fromisoformat(listed)
    return dataclasses.replace(
        extraction, article=dataclasses.replace(article, published=published)
    )


def publisher_host(url: str, story: Story | None) -> str:
    """The publisher a page belongs to: the story's source for its URL, else its host."""
    source = story.source_for(url) if story is not None else None
    return source.host if source is not None else host_of(normalise_url(url))


def page_record(
    processed: Processed, *, publisher: str, warc_record_id: str | None, discovered_via: str
) -> PageRecord:
    """The page row of a processed page (only pages that went through extraction have one)."""
    return PageRecord(
        url=processed.url,
        final_url=processed.final_url,
        aliases=processed.aliases,
        publisher_host=publisher,
        warc_record_id=warc_record_id,
        discovered_via=discovered_via,
        fetched_at=processed.fetched_at,
        extraction=processed.extraction,
        relevance=processed.relevance,
        access=processed.access,
        rights=processed.rights,
        noarchive=processed.noarchive,
        description=processed.description,
        signature=processed.signature,
    )


def revisit_outcome(capture: Capture) -> RevisitOutcome | None:
    """What an archived answer says of a known article when it brought no page: a revisit
    record, the same page again; 404 or 410, gone. The repository applies it only to URLs that
    lead to a scheduled article."""
    if capture.record_type == "revisit":
        return "unchanged"
    if capture.status in GONE:
        return "gone"
    return None


def revisit_record(capture: Capture) -> RevisitRecord | None:
    outcome = revisit_outcome(capture)
    if outcome is None:
        return None
    return RevisitRecord(
        url=capture.url, fetched_at=capture.fetched_at, status=capture.status, outcome=outcome
    )


def same_url(revisit: Capture, original_url: str) -> bool:
    """Whether a revisit stands for a body fetched from its own URL (the crawl's revisits, and
    most crawlers'): then it is the same page again, not a page of its own."""
    try:
        return normalise_url(revisit.url) == normalise_url(original_url)
    except ValueError:
        return False


def exchange_rights(
    url: str, status: int, headers: Sequence[tuple[str, str]], body: bytes
) -> Rights:
    """The rights signals of a response before it is archived (its `X-Robots-Tag` headers and,
    for HTML, its robots meta tags), `body` as transferred: what the WARC extension asks when
    the story's `[archive] noarchive` policy is `obey`. A body that does not decode is read for
    its headers only."""
    try:
        decoded = decode_body(headers, body, url)
    except ValueError:
        decoded = b""
    page = PageInput(url, url, status, tuple(headers), decoded, datetime.now(UTC))
    return page_rights(page)
