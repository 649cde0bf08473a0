"""Which pages a crawl asks the requisites of: one rule for the requisites middleware, which
asks, and the WARC extension, which marks the page's capture so (`Capture.requisites_asked`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crawler import settings as defaults
from crawler.core.config import SettingsLike

REQUISITE = "requisite"
"""`request.meta` key: the kind of requisite a request is for."""


def requisites_on(settings: SettingsLike) -> bool:
    """Whether a crawl with these settings asks for pages' requisites (distributed crawls do
    not yet: a shared frontier serialises requests, and these call back into the middleware)."""
    return settings.getbool("REQUISITES_ENABLED", defaults.REQUISITES_ENABLED) and not settings.get(
        "NEWSARCHIVE_REDIS_URL"
    )


def asks_for_requisites(meta: Mapping[str, Any], status: int) -> bool:
    """Whether the requisites middleware (when on) handles the requisites of the page that an
    answer with this request meta brings or stands for: a story source's page answered 200 or
    304, not itself a requisite. They are asked for right after, or were before (an unchanged
    page whose capture says so)."""
    return status in (200, 304) and meta.get(REQUISITE) is None and bool(meta.get("source"))
