"""The metadata we store (title, author, URL, site name, description), read with trafilatura's
own parts, as `trafilatura.extract_metadata` reads them but cheaper.

`extract_metadata` also reads categories, tags and a licence, which we never store, and runs
htmldate's date search, which `extract()` needs only when the page's structured data states no
timed publication: here it is `publication_day`, called by whoever needs it. The steps kept are
trafilatura's, in its order, so the fields are the ones `extract_metadata` gives (tested on the
corpus samples in tests/extraction/test_pagemeta.py).

(Testing trafilatura's byline expressions on the whole tree first, to spare the author fallback its
copy of the tree when nothing could be a byline, was measured and dropped: on AEB the expressions
match something on most pages, and the test cost more than the copies it spared. Nor are its
expressions the cost for want of `re:test`: written with `contains()` and `starts-with()` only,
they select the same elements on all 1,702 pages of the shared corpora and take as long. libxml2
spends about 2 ms on any such predicate sweep of a 740-element AEB page.)
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    Document,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params

from crawler.extraction.byline import fallback_author

LOGGER = logging.getLogger(__name__)


def read_metadata(tree: HtmlElement, default_url: str | None) -> Document:
    """Title, author, URL, site name and description of the page, as trafilatura reads them
    (`date`, `categories`, `tags` and `license` left empty)."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # trafilatura's own guard: bugs in its JSON-LD reading
        LOGGER.warning("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = fallback_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, default_url)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        name = metadata.sitename.lstrip("@")
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        metadata.sitename = name
    elif metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata


def publication_day(tree: HtmlElement, url: str | None, latest: str) -> date | None:
    """The publication day htmldate finds with trafilatura's settings (the extensive search),
    no later than `latest` (YYYY-MM-DD)."""
    params: dict[str, Any] = {**set_date_params(extensive=True), "max_date": latest, "url": url}
    return iso_day(find_date(tree, **params))


def iso_day(value: str | None) -> date | None:
    """A `YYYY-MM-DD` string (what trafilatura and htmldate return) as a date, or None."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
