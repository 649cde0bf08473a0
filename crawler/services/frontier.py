"""What a crawl already knows when it starts: previous captures to revisit against, articles due
for a revisit, and known articles that discovery must leave alone this round."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.settings import BaseSettings
from sqlalchemy import Engine

from crawler import settings as defaults
from crawler.core.revisit import PreviousCapture
from crawler.core.story import Story
from crawler.extraction.options import ExtractOptions
from crawler.extraction.version import extractor_name
from storage.db.frontier import (
    Frontier,
    load_frontier,
    pages_with_requisites,
    store_page_requisites,
)
from storage.db.frontier import requisite_captures as stored_requisites

REVISIT_MODES = ("due", "all", "none")


def crawl_clock(settings: BaseSettings) -> datetime:
    """'Now' for the revisit schedule: `NEWSARCHIVE_NOW` (ISO 8601, for tests and replays of a
    schedule) or the real time."""
    value = settings.get("NEWSARCHIVE_NOW") or ""
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load(engine: Engine, settings: BaseSettings, story: Story) -> Frontier:
    """The frontier of `story` from the crawl's database (blocking: call it in the database
    thread, `crawler.extensions.database.Database.run`)."""
    mode = settings.get("NEWSARCHIVE_REVISIT", defaults.NEWSARCHIVE_REVISIT)
    if mode not in REVISIT_MODES:
        raise ValueError(f"NEWSARCHIVE_REVISIT must be one of {', '.join(REVISIT_MODES)}: {mode!r}")
    hosts = [source.host for source in story.sources]
    # a page judged no article by other rules, other options or a failed extraction is judged
    # again when it comes back unchanged (it carries no previous capture)
    extraction = (extractor_name(), ExtractOptions.from_settings(settings).digest)
    return load_frontier(engine, story.name, hosts, crawl_clock(settings), mode, extraction)


def requisite_captures(engine: Engine) -> dict[str, PreviousCapture]:
    """The last capture of every stylesheet, image, font or script the crawl's database holds
    (blocking: run it in the database thread), for the requisites middleware to revisit against."""
    return stored_requisites(engine)


def requisites_known(engine: Engine, archived: dict[str, PreviousCapture]) -> set[str]:
    """The record ids of the page bodies whose requisites are all among `archived` (blocking)."""
    return pages_with_requisites(engine, archived)


def record_requisites(engine: Engine, pages: list[tuple[str, list[str]]]) -> None:
    """Store the requisites found in page bodies, by the record id of each body (blocking)."""
    store_page_requisites(engine, pages)
