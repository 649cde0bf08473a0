"""Small builders for what the store pipeline hands the repository."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from crawler.core.article import Article, Extraction, Relevance
from crawler.core.capture import Capture
from crawler.core.story import Source, Story
from storage.db.records import PageRecord, RevisitRecord

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WARC = "newsarchive-20250301-00000.warc.gz"
EXTRACTOR = "newsarchive 0.1.0 / trafilatura 2.0.0"
OPTIONS = "0123456789ab"
"""An options digest."""

DAILY = Source(name="Daily Example", url="http://news.example:8080/")
OTHER = Source(name="Other Times", url="https://other.example/")
STORY = Story(name="harbour-strike", title="Harbour strike", sources=(DAILY, OTHER))
ON_TOPIC = Relevance(relevant=True, score=0.9, matched_terms=("strike", "harbour"), reason="all")
OFF_TOPIC = Relevance(relevant=False, score=0.1, matched_terms=(), reason="no match")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def capture(
    url: str,
    record: str,
    *,
    fetched_at: datetime = T0,
    status: int = 200,
    location: str | None = None,
    filename: str = WARC,
    offset: int = 0,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Capture:
    return Capture(
        url=url,
        fetched_at=fetched_at,
        status=status,
        content_type="text/html; charset=utf-8",
        location=location,
        warc_filename=filename,
        warc_offset=offset,
        warc_length=1234,
        warc_record_id=f"<urn:uuid:{record}>",
        request_record_id=f"<urn:uuid:{record}-request>",
        payload_digest=f"sha1:{record.upper()}",
        etag=etag,
        last_modified=last_modified,
    )


def revisit_capture(
    url: str,
    record: str,
    refers_to: str,
    *,
    fetched_at: datetime = T0,
    status: int = 304,
    etag: str | None = None,
) -> Capture:
    """The capture of a revisit record of `url` whose body is in record `refers_to`."""
    return Capture(
        url=url,
        fetched_at=fetched_at,
        status=status,
        content_type=None,
        location=None,
        warc_filename=WARC,
        warc_offset=0,
        warc_length=321,
        warc_record_id=f"<urn:uuid:{record}>",
        request_record_id=f"<urn:uuid:{record}-request>",
        payload_digest=f"sha1:{refers_to.upper()}",
        record_type="revisit",
        revisit_profile="server-not-modified" if status == 304 else "identical-payload-digest",
        refers_to=f"<urn:uuid:{refers_to}>",
        etag=etag,
    )


def unchanged(url: str, *, fetched_at: datetime, status: int = 304) -> RevisitRecord:
    return RevisitRecord(url=url, fetched_at=fetched_at, status=status, outcome="unchanged")


def gone(url: str, *, fetched_at: datetime, status: int = 410) -> RevisitRecord:
    return RevisitRecord(url=url, fetched_at=fetched_at, status=status, outcome="gone")


def article(text: str, *, title: str = "Dockers strike", canonical: str | None = None) -> Article:
    return Article(
        title=title,
        authors=("A. Writer", "B. Reporter"),
        published=T0.date(),
        modified=None,
        language="en",
        site_name="Daily Example",
        canonical_url=canonical,
        description="What happened at the harbour.",
        text=text,
        text_sha256=hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
        word_count=len(text.split()),
    )


def page(
    url: str,
    record: str | None,
    *,
    text: str | None = "The dockers went on strike at the harbour.",
    final_url: str | None = None,
    aliases: tuple[str, ...] = (),
    canonical: str | None = None,
    fetched_at: datetime = T0,
    relevance: Relevance | None = ON_TOPIC,
    publisher: Source = DAILY,
    discovered_via: str = "link",
    title: str = "Dockers strike",
    extractor: str = EXTRACTOR,
    options: str = OPTIONS,
) -> PageRecord:
    """An article page, or with `text=None` a page that is not one."""
    body = article(text, canonical=canonical, title=title) if text is not None else None
    return PageRecord(
        url=url,
        final_url=final_url or url,
        aliases=aliases,
        publisher_host=publisher.host,
        warc_record_id=f"<urn:uuid:{record}>" if record is not None else None,
        discovered_via=discovered_via,
        fetched_at=fetched_at,
        extraction=Extraction(
            article=body,
            reason=None if body else "too-short",
            extractor=extractor,
            options_digest=options,
        ),
        relevance=relevance if body is not None else None,
    )
