"""What a page declares about itself, read for `extract()`: whether it is an article, when it was
published and modified (to the second, with its time zone, when it says so), its language, and
its authors cleaned of bylines' furniture.

Pure: a parsed tree and strings in, plain values out.

- *Declared an article*: `og:type` article; a JSON-LD object whose `@type` is `NewsArticle`,
  `Article`, `ReportageNewsArticle`, `BlogPosting` (or a few kin), at the top level, in a list or
  in an `@graph`; exactly one element marked `itemprop=articleBody` (microdata); or exactly one
  `<article>` element holding an `h1`. One check, for both the word floor and the balanced
  fallback of precision mode: a listing of several marked bodies or articles is not one.
- *Times*: JSON-LD `datePublished`/`dateModified` (of the article object first), then the
  `article:published_time`-like `<meta>` properties and `itemprop` elements, then a `<time
  datetime>` whose day agrees with the day found otherwise. A value counts as a time only with
  its offset (`Z`, `+01:00`); a time without one says the day and no more.
- *Language*: `<html lang>`, `Content-Language`, `og:locale`, JSON-LD `inLanguage`; else the
  text's, by py3langid, whose model ships in its wheel.
- *Authors*: "By" and "Von", roles ("Staff Writer", "Correspondent"), e-mail addresses, and
  newsroom boilerplate ("and agencies") taken off; a wire service named alone stays an author.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "report",
    }
)
"""schema.org types (lower case) of a page that is one article."""


@dataclass(frozen=True, slots=True)
class Stated:
    """A date the page states: its day, and the moment when it gives a time with an offset."""

    day: date
    moment: datetime | None = None
    """Timezone-aware, in the page's own offset; None when only the day is known."""


@dataclass
class LinkedData:
    """What the page's JSON-LD says, read once."""

    types: set[str] = field(default_factory=set)
    """The `@type`s, lower case, of the objects that describe the page (`_objects`)."""
    published: list[str] = field(default_factory=list)
    """`datePublished` values, those of article objects first."""
    modified: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


_JSON_LD_TYPE = "application/ld+json"
_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")


def linked_data(tree: HtmlElement) -> LinkedData:
    """The JSON-LD of the page (scripts that are not valid JSON are skipped)."""
    found = LinkedData()
    article_published: list[str] = []
    article_modified: list[str] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != _JSON_LD_TYPE:
            continue
        text = _WRAPPERS.sub("", script.text or "")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        for node in _objects(data):
            types = {t.lower() for t in _strings(node.get("@type"))}
            found.types |= types
            is_article = bool(types & ARTICLE_TYPES)
            for key, general, specific in (
                ("datePublished", found.published, article_published),
                ("dateModified", found.modified, article_modified),
            ):
                for value in _strings(node.get(key)):
                    (specific if is_article else general).append(value)
            for value in _strings(node.get("inLanguage")):
                found.languages.append(value)
            language = node.get("inLanguage")
            if isinstance(language, dict):
                found.languages += _strings(language.get("alternateName") or language.get("name"))
    found.published = article_published + found.published
    found.modified = article_modified + found.modified
    return found


_THE_PAGE = ("@graph", "mainEntity", "mainEntityOfPage")
"""Where an object that describes the page itself can sit besides the top level: an object under
any other property (a related article in an `ItemList`, a `hasPart`) is about something else."""


def _objects(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """The JSON objects that describe the page: at the top level, in a top-level list, in an
    `@graph` or as a `mainEntity`, not too deep."""
    if depth > 8:
        return
    if isinstance(node, list):
        for item in node:
            yield from _objects(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in _THE_PAGE:
            if isinstance(node.get(key), dict | list):
                yield from _objects(node[key], depth + 1)


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


_LINK_OR_META = re.compile(rb"<(?:link|meta)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def declared_url(html: bytes, limit: int = 200_000) -> str | None:
    """The absolute http(s) URL a saved page names for itself, read from its raw bytes without
    parsing: `<link rel=canonical>`, else `og:url`. For a file whose address is not known."""
    canonical = og_url = None
    for tag in _LINK_OR_META.finditer(html, 0, limit):
        attrs = {
            m[1].lower(): (m[2] or m[3] or m[4] or b"").decode("utf-8", "replace").strip()
            for m in _ATTR.finditer(tag[0])
        }
        if canonical is None and "canonical" in attrs.get(b"rel", "").lower().split():
            canonical = attrs.get(b"href")
        elif og_url is None and (attrs.get(b"property") or attrs.get(b"name")) == "og:url":
            og_url = attrs.get(b"content")
    for url in (canonical, og_url):
        if url and re.match(r"https?://[^/\s]+", url, re.IGNORECASE) and " " not in url:
            return url
    return None


def declares_article(tree: HtmlElement, data: LinkedData) -> bool:
    """Whether the page says it is one article (see the module's docstring)."""
    if data.types & ARTICLE_TYPES:
        return True
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:type":
            if (meta.get("content") or "").strip().lower().startswith("article"):
                return True
            break
    if len(tree.xpath("//*[@itemprop='articleBody']")) == 1:
        return True
    with_h1 = [a for a in tree.iter("article") if next(a.iter("h1"), None) is not None]
    return len(with_h1) == 1


_PUBLISHED_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.created",
    "date",
)
_MODIFIED_KEYS = (
    "article:modified_time",
    "og:updated_time",
    "og:article:modified_time",
    "datemodified",
    "last-modified",
    "dcterms.modified",
)


def _meta_values(tree: HtmlElement, *key_sets: tuple[str, ...]) -> tuple[list[str], ...]:
    """`<meta>` contents and `itemprop` values under the names of each of `key_sets`, in the
    order of its keys: one list per set, from one walk of the tree."""
    found: dict[str, list[str]] = {key: [] for keys in key_sets for key in keys}
    for element in tree.iter("meta", "time", "span", "div", "abbr"):
        if element.tag == "meta":
            key = element.get("property") or element.get("name") or element.get("itemprop") or ""
            value = element.get("content")
        else:
            key = element.get("itemprop") or ""
            value = element.get("datetime") or element.get("content")
        key = key.strip().lower()
        if key in found and value and value.strip():
            found[key].append(value.strip())
    return tuple([value for key in keys for value in found[key]] for keys in key_sets)


def _time_elements(tree: HtmlElement) -> list[str]:
    return [t.get("datetime", "").strip() for t in tree.iter("time") if t.get("datetime")]


_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2}|GMT|UTC)?)?",
    re.IGNORECASE,
)


def parse_stated(value: str, latest: date) -> Stated | None:
    """An ISO 8601 date or date-time as the page wrote it, or None if it is none or lies after
    `latest` (a page cannot be dated after it was fetched)."""
    match = _ISO.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        day_value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if day_value > latest or day_value.year < 1995:
        return None
    if hour is None or zone is None:
        return Stated(day_value)
    zone = zone.upper()
    if zone in ("Z", "GMT", "UTC"):
        offset = "+00:00"
    elif len(zone) == 3:
        offset = f"{zone}:00"
    elif ":" not in zone:
        offset = f"{zone[:3]}:{zone[3:]}"
    else:
        offset = zone
    try:
        moment = datetime.fromisoformat(
            f"{day_value.isoformat()}T{int(hour):02d}:{int(minute):02d}:{int(second or 0):02d}"
            f"{offset}"
        )
    except ValueError:
        return Stated(day_value)
    return Stated(day_value, moment)


def _first(values: Iterable[str], latest: date) -> Stated | None:
    """The first value that parses; a later one that gives the same day with a time wins over a
    first that gives only the day."""
    first: Stated | None = None
    for value in values:
        stated = parse_stated(value, latest)
        if stated is None:
            continue
        if first is None:
            first = stated
            if stated.moment is not None:
                return stated
        elif stated.moment is not None and stated.day == first.day:
            return stated
    return first


def stated_dates(
    tree: HtmlElement, data: LinkedData, search: Callable[[], date | None], latest: date
) -> tuple[Stated | None, Stated | None]:
    """When the page says it was published and last modified.

    `search` gives the publication day found by the general search (htmldate's): the structured
    statements above win, and a bare `<time datetime>` is believed only when it agrees with that
    day. It is costly, so it is called only when its answer can change the result: the
    statements give no publication, or give its day without a time and a `<time>` gives that day
    with one.
    """
    published_values, modified_values = _meta_values(tree, _PUBLISHED_KEYS, _MODIFIED_KEYS)
    published = _first([*data.published, *published_values], latest)
    if published is None:
        day = search()
        if day is not None:
            published = _first(
                (v for v in _time_elements(tree) if v.startswith(day.isoformat())), latest
            )
            published = published if published is not None else Stated(day)
    elif published.moment is None:
        # A stated day: the search can only confirm it for a `<time>` of that day that gives
        # the time, so without such a `<time>` its answer would be thrown away, and it is not
        # run. (A stated time wins and needs no search at all.)
        iso = published.day.isoformat()
        timed = _first((v for v in _time_elements(tree) if v.startswith(iso)), latest)
        if timed is not None and search() == published.day:
            published = timed
    modified = _first([*data.modified, *modified_values], latest)
    return published, modified


def later(modified: Stated | None, published: Stated | None) -> Stated | None:
    """`modified` if it is after `published` (by the moment when both have one, else by day)."""
    if modified is None or published is None:
        return modified
    if modified.moment is not None and published.moment is not None:
        return modified if modified.moment > published.moment else None
    return modified if modified.day > published.day else None


def primary_language(value: str | None) -> str | None:
    """'en-GB', 'en_US' or 'en, fr' as 'en'; None unless it looks like a language code."""
    if not value:
        return None
    primary = value.split(",")[0].strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3 else None


MIN_DETECT_CHARS = 40
"""Shorter texts are not given a detected language: too few letters to tell."""


def detect_language(text: str) -> str | None:
    """The language of `text` by py3langid (its model ships in its wheel), or None when the text
    is too short to tell."""
    if len(text) < MIN_DETECT_CHARS:
        return None
    from py3langid.langid import classify  # its model loads on first use

    language, _ = classify(text[:5000])
    return str(language) or None


_BY = re.compile(
    r"^\s*(?:(?:written|posted|reported|text|photos?|words)\s+)?(?:by|von|par|por|di|door|av|af)"
    r"\s*[:\s]\s*",
    re.IGNORECASE,
)
_ROLE_WORDS = (
    r"staff\s+(?:writer|reporter|photographer)|senior\s+(?:writer|reporter|editor|correspondent)|"
    r"(?:chief\s+|foreign\s+|political\s+|special\s+|white\s+house\s+|washington\s+)?"
    r"correspondent|contributing\s+(?:writer|editor)|contributor|columnist|reporter|editor(?:ial)?"
    r"(?:\s+in\s+chief)?|writer|journalist|photographer|redakteur(?:in)?|redaktion|"
    r"korrespondent(?:in)?|autor(?:in)?|author"
)
_ROLE_TAIL = re.compile(
    # a dash separates only with a space before it: "MM-Redaktion" is a name
    rf"(?:\s*(?:,|\||\(|\bis\s+an?\b|\bis\s+the\b)|\s+[-\u2013\u2014])\s*"
    rf"(?:(?:an?|the)\s+)?[^,|]*?\b(?:{_ROLE_WORDS})\b.*$",
    re.IGNORECASE,
)
_ROLE_ONLY = re.compile(rf"^(?:(?:an?|the)\s+)?(?:[\w ]*\s)?(?:{_ROLE_WORDS})s?$", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_AGENCY_TAIL = re.compile(
    r"\s*(?:,|;|\band\b|&|\bwith\b|\+)\s*(?:wire\s+services|(?:news\s+)?agencies|agency|"
    r"staff(?:\s+reports?)?|wires)\s*$",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"^(?:staff|staff\s+reports?|wire\s+services|agencies|news\s+desk|newsdesk|web\s+desk|"
    r"editorial\s+(?:staff|team|board)|the\s+editors|redaktion|admin|administrator|guest|"
    r"unknown|anonymous|null|none)$",
    re.IGNORECASE,
)
_STAFF = re.compile(r"\bstaff\b", re.IGNORECASE)
"""'Jerusalem Post Staff', 'Staff and wire reports': a newsroom, not an author."""
_URL = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)


def clean_authors(names: Iterable[str]) -> tuple[str, ...]:
    """Authors' names without "By", roles, e-mail addresses and newsroom boilerplate, trimmed,
    without repeats (ignoring case), in their order. A wire service named alone ("Associated
    Press", "Reuters") is the author and stays."""
    seen: dict[str, str] = {}
    for raw in names:
        for name in re.split(r"\s*(?:;|\|)\s*", raw):
            cleaned = _clean_one(name)
            if cleaned and cleaned.casefold() not in seen:
                seen[cleaned.casefold()] = cleaned
    return tuple(seen.values())


def _clean_one(name: str) -> str | None:
    name = " ".join(_EMAIL.sub("", name).split())
    if not name or _URL.match(name):
        return None
    name = _BY.sub("", name)
    name = _AGENCY_TAIL.sub("", name)
    if _ROLE_ONLY.match(name) or _BOILERPLATE.match(name):
        return None
    name = _ROLE_TAIL.sub("", name)
    name = name.strip(" ,;:|-\u2013\u2014()")
    if not name or _BOILERPLATE.match(name) or _ROLE_ONLY.match(name) or _STAFF.search(name):
        return None
    return name if any(ch.isalpha() for ch in name) else None
