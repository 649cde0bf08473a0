"""What extraction produces. Plain frozen data: picklable across processes, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Article:
    """The clean text and metadata of one article page."""

    title: str | None
    authors: tuple[str, ...]
    published: date | None
    """Publication date as the page states it."""
    modified: date | None
    """Last-modified date as the page states it (not the capture time)."""
    language: str | None
    site_name: str | None
    canonical_url: str | None
    """`<link rel=canonical>` or `og:url`, resolved against the page URL, if the page names one."""
    description: str | None
    text: str
    text_sha256: str
    """SHA-256 (hex) of the normalised text and title: equal hashes mean the same version."""
    word_count: int
    published_at: datetime | None = None
    """The moment of publication, in the page's own time zone, when the page states a time with
    its offset; None when it states only the day (`published`) or nothing."""
    modified_at: datetime | None = None
    """As `published_at`, for `modified`."""
    language_source: str | None = None
    """'declared' (the page says its language), 'detected' (from the text), or None."""

    @property
    def published_precision(self) -> str | None:
        """'time' when `published_at` is known, 'date' when only the day is, else None."""
        return precision(self.published, self.published_at)

    @property
    def modified_precision(self) -> str | None:
        """As `published_precision`, for `modified`."""
        return precision(self.modified, self.modified_at)


def precision(day: date | None, moment: datetime | None) -> str | None:
    """'time', 'date' or None: how precisely a date is stated."""
    if moment is not None:
        return "time"
    return "date" if day is not None else None


@dataclass(frozen=True, slots=True)
class Extraction:
    """The outcome of `extract()` on one page: an article, or why the page is not one."""

    article: Article | None
    reason: str | None
    """Why there is no article: 'not-html', 'http-<status>', 'no-text', 'too-short', 'error: …'."""
    extractor: str
    """Name and version of the extractor that made this: our own extraction code and
    trafilatura's, e.g. 'newsarchive 0.2.0 / trafilatura 2.3.1', so that a change in either is a
    new extractor."""
    options_digest: str
    """`ExtractOptions.digest` of the options it was made with."""


@dataclass(frozen=True, slots=True)
class TextSignature:
    """An article text's MinHash signature and LSH band keys (`crawler.clustering.signatures`),
    computed where the text is (the extraction worker), so the crawling process only stores it."""

    params: str
    """`ClusterOptions.params` it was made with: another's is of no use."""
    text_sha256: str
    """`Article.text_sha256` of the text signed: the version it belongs to."""
    value: bytes
    keys: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Relevance:
    """How an article relates to a story; see docs/story-file.md for the rule and the score."""

    relevant: bool
    score: float
    matched_terms: tuple[str, ...]
    reason: str
