"""The extractor's name (our rules and trafilatura, with their versions), known without loading
trafilatura: a crawl's main process asks whether a stored extraction is one it would make again
(`crawler.services.frontier`) but extracts nothing itself."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

from crawler import __version__

RULES_VERSION = 6
"""The version of our extraction rules, raised whenever they change what is extracted from the
same bytes (1: the spine's, 2: the AEB rules of 0.2.0, 3: the declared body as evidence,
appeals to subscribe or donate; 4: credit lines dropped, teasers only when small, listings
are not articles; 5: the balanced pass replaces a storable precision text only when it adds
prose, recall mode for a declared article still too short, subheadings named by a table of
contents kept; 6: a body that is valid UTF-8 is read as UTF-8 whatever its `<meta>` says, the
teasers of lists of other stories dropped, links in a list of mixed items kept)."""


@cache
def extractor_name() -> str:
    """Name and version of the extractor, recorded with every extraction: our rules (this module,
    boilerplate, normalisation) as much as trafilatura's make the text, so both are named."""
    rules = f"newsarchive {__version__} (rules {RULES_VERSION})"
    return f"{rules} / trafilatura {version('trafilatura')}"
