"""Rights signals: whether a page asks not to be archived, and where it says so.

Two places carry them, in the syntax Google documents for robots rules
(https://developers.google.com/search/docs/crawling-indexing/robots-meta-tag):

- the `X-Robots-Tag` response header, once or several times, each a comma-separated list of
  rules; a list may start with a user agent (`otherbot: noindex, nofollow`), which then applies
  to the rules after it (until another agent is named in the same header);
- `<meta name="robots" content="...">` for every crawler, `<meta name="newsarchive" ...>` for
  us; tags named for other crawlers (`googlebot`) do not apply.

A rule asks not to be archived when it is `noarchive`, `nocache` (Bing's name for the same
rule) or `none` (which Google defines as `noindex, nofollow`; read here as its plain meaning,
nothing at all, the most restrictive reading). What the crawl does with the signal is the story's
`[archive] noarchive` policy (`ArchivePolicy`): flag it, obey it, or ignore it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from crawler.core.page import PageInput, decode_html

AGENT = "newsarchive"
"""Our user-agent token: the product name that starts `USER_AGENT` (crawler/settings.py)."""
NOARCHIVE_RULES = frozenset({"noarchive", "nocache", "none"})
"""The rules that ask a page not to be archived."""
_VALUED_RULES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
"""Rules written `name: value`: their name is not a user agent."""

NoarchivePolicy = Literal["flag", "obey", "ignore"]
NOARCHIVE_POLICIES: tuple[NoarchivePolicy, ...] = ("flag", "obey", "ignore")


@dataclass(frozen=True, slots=True)
class ArchivePolicy:
    """A story's `[archive]` table: what the crawl does with a page that asks not to be
    archived. `flag`: archive it and mark it (left out of WACZ, report and exports unless asked);
    `obey`: do not archive it; `ignore`: archive it as any other page."""

    noarchive: NoarchivePolicy = "flag"


@dataclass(frozen=True, slots=True)
class RightsSignal:
    """One rule that asks a page not to be archived, as the page gave it."""

    where: Literal["header", "meta"]
    name: str
    """'X-Robots-Tag', or the meta tag's name ('robots', 'newsarchive', 'googlebot'...)."""
    value: str
    """The header's value or the tag's content, as sent."""
    rule: str
    """The rule found in it: 'noarchive', 'nocache' or 'none'."""
    agent: str | None
    """The user agent it names; None when it is for every crawler."""
    applies: bool
    """Whether it is for us (every crawler, or `AGENT`)."""

    def __str__(self) -> str:
        return f"{self.name}: {self.value}" + ("" if self.applies else " (not for us)")


@dataclass(frozen=True, slots=True)
class Rights:
    """A page's rights signals."""

    signals: tuple[RightsSignal, ...] = ()
    """Every noarchive rule found, those for other crawlers too (`applies` says which)."""

    @property
    def noarchive(self) -> bool:
        """Whether the page asks us not to archive it."""
        return any(signal.applies for signal in self.signals)

    @property
    def source(self) -> str:
        """Where it asks, for people: 'X-Robots-Tag: noarchive; meta robots: none' ('' if not)."""
        return "; ".join(
            f"meta {s.name}: {s.value}" if s.where == "meta" else str(s)
            for s in self.signals
            if s.applies
        )


def page_rights(page: PageInput, agent: str = AGENT) -> Rights:
    """The rights signals of a fetched page: its `X-Robots-Tag` headers and, for HTML, its
    robots meta tags."""
    values = [value for name, value in page.headers if name.lower() == "x-robots-tag"]
    signals = header_signals(values, agent)
    if page.is_html:
        signals += meta_signals(decode_html(page)[1], agent)
    return Rights(tuple(signals))


def header_signals(values: Iterable[str], agent: str = AGENT) -> list[RightsSignal]:
    """The noarchive rules in `X-Robots-Tag` header values (one per header received)."""
    found = []
    for value in values:
        named: str | None = None
        for part in value.split(","):
            rule = part.strip()
            head, colon, rest = rule.partition(":")
            if colon and head.strip().lower() not in _VALUED_RULES and _is_agent(head):
                named, rule = head.strip(), rest.strip()
            if rule.lower() in NOARCHIVE_RULES:
                applies = named is None or named.lower() == agent.lower()
                found.append(
                    RightsSignal("header", "X-Robots-Tag", value, rule.lower(), named, applies)
                )
    return found


_AGENT_NAME = re.compile(r"^\s*[A-Za-z0-9_.*-]+\s*$")


def _is_agent(text: str) -> bool:
    return bool(_AGENT_NAME.match(text))


_HIDDEN = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_META = re.compile(r"<meta\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def meta_signals(document: str, agent: str = AGENT) -> list[RightsSignal]:
    """The noarchive rules in a document's robots meta tags (comments and scripts aside)."""
    found = []
    for match in _META.finditer(_HIDDEN.sub(" ", document)):
        attributes = {
            key.lower(): html.unescape(value.strip("\"'")) if value else ""
            for key, value in _ATTRIBUTE.findall(match.group(1))
        }
        name = attributes.get("name", "").strip()
        content = attributes.get("content", "")
        lowered = name.lower()
        if not content or not name:
            continue
        applies = lowered in ("robots", agent.lower())
        for part in content.split(","):
            rule = part.strip().lower()
            # 'none' is a common value of unrelated tags (msapplication-config): from a tag not
            # for us, only the rules no other tag uses are kept, as a crawler's.
            if rule in NOARCHIVE_RULES and (applies or rule != "none"):
                named = None if lowered == "robots" else name
                found.append(RightsSignal("meta", name, content, rule, named, applies))
    return found
