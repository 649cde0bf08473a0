"""The story file: what to collect, from where, and what counts as on topic.

The TOML format is a public contract, documented in docs/story-file.md. Loading validates the whole
file and fails with one `StoryError` naming the file, the field and the problem, so that a user can
fix a typo without reading a traceback.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.core.revisit import RevisitPolicy, parse_duration
from crawler.core.rights import NOARCHIVE_POLICIES, ArchivePolicy
from crawler.core.urls import host_of, normalise_url
from crawler.core.versioning import VersionRules, compile_ignore

SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


class StoryError(ValueError):
    """A story file that cannot be used. `str()` is the message to show the user."""

    def __init__(self, path: str | Path, field: str | None, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class MatchRule:
    """Which texts are on topic. Terms match whole words, case- and accent-insensitively; a term
    ending in `*` matches any word that starts with it ("prison*" matches "prisoners")."""

    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """A publisher to watch."""

    name: str
    url: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    follow: int = 1

    @property
    def host(self) -> str:
        """`host:port` of the normalised `url` (default port dropped): the publisher's identity."""
        return host_of(normalise_url(self.url))


ARCHIVE_KINDS = ("wayback", "commoncrawl")
"""`kind` of an `[[archives]]` table: a CDX server with raw (`id_`) replay, or a Common Crawl
index with its WARC files served by byte range."""


@dataclass(frozen=True, slots=True)
class ArchiveSource:
    """A web archive that `newsarchive backfill` asks for the story's sources (docs/backfill.md)."""

    name: str
    kind: str
    """One of `ARCHIVE_KINDS`."""
    cdx: str
    """The CDX API endpoint: `.../cdx/search/cdx`, pywb's `.../COLLECTION/cdx`, or a Common
    Crawl collection's `.../CC-MAIN-2025-08-index`."""
    replay: str = ""
    """wayback: the raw replay URL template, with `{timestamp}` and `{url}`."""
    data: str = ""
    """commoncrawl: the base URL of the WARC files (the index's `filename` is joined to it)."""
    delay: float = 1.0
    """Seconds between two requests to the archive (each of its hosts)."""
    concurrency: int = 2
    """Requests to the archive at once."""
    since: date | None = None
    until: date | None = None
    """The window of capture times asked for; the story's window where not given."""


@dataclass(frozen=True, slots=True)
class Story:
    name: str
    title: str
    sources: tuple[Source, ...]
    match: MatchRule = field(default_factory=MatchRule)
    since: date | None = None
    until: date | None = None
    revisit: RevisitPolicy = field(default_factory=RevisitPolicy)
    archive: ArchivePolicy = field(default_factory=ArchivePolicy)
    versions: VersionRules = field(default_factory=VersionRules)
    archives: tuple[ArchiveSource, ...] = ()
    definition: str | None = field(default=None, compare=False, repr=False)
    """The TOML text the story was read from (None for a story built in code): the database keeps
    it, so that re-extraction can judge relevance again without the file."""

    def in_window(self, day: date | None) -> bool | None:
        """Whether a publication date lies in [since, until]; None when the date is unknown."""
        if day is None:
            return None
        if self.since is not None and day < self.since:
            return False
        return not (self.until is not None and day > self.until)

    def source_for(self, url: str) -> Source | None:
        """The source whose site serves `url` (same host:port), if any."""
        host = host_of(normalise_url(url))
        return next((s for s in self.sources if s.host == host), None)


_TOP_KEYS = {
    "name",
    "title",
    "since",
    "until",
    "match",
    "sources",
    "revisit",
    "archive",
    "versions",
    "archives",
}
_ARCHIVES_KEYS = {
    "name", "kind", "cdx", "replay", "data", "delay", "concurrency", "since", "until",
}  # fmt: skip
_REVISIT_KEYS = {"first", "factor", "max", "age_factor", "stop_after"}
_ARCHIVE_KEYS = {"noarchive"}
_VERSIONS_KEYS = {"ignore", "min_changed_words", "truncated_below"}
_PROSE = "Officials said on Tuesday that the plan would be published in full next week."
"""A line of ordinary prose: an ignore pattern that matches it would leave out every paragraph."""
_MATCH_KEYS = {"all", "any", "none"}
_SOURCE_KEYS = {"name", "url", "feeds", "sitemaps", "follow"}


def load_story(path: str | Path) -> Story:
    """Read and validate a story file. Raises `StoryError` on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoryError(path, None, f"cannot read the file ({exc.strerror or exc})") from exc
    return parse_story(raw, path)


def parse_story(raw: bytes | str, path: str | Path = "<story>") -> Story:
    """Validate story TOML given as text; `path` is only used in error messages."""
    try:
        # utf-8-sig: a byte order mark, which some editors write at the start, is not TOML
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise StoryError(path, None, f"not UTF-8 text (byte {exc.start})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StoryError(path, None, f"not valid TOML: {exc}") from exc
    return replace(_Parser(path, text).story(data), definition=text)


class _Parser:
    def __init__(self, path: str | Path, text: str = "") -> None:
        self.path = path
        self.text = text

    def fail(self, fieldname: str | None, problem: str) -> StoryError:
        return StoryError(self.path, fieldname, problem)

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(f"{prefix}{key}", f"unknown field (known fields: {known})")

    def string(self, value: Any, fieldname: str, *, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(fieldname, "must be a non-empty string")
        return value.strip()

    def day(self, value: Any, fieldname: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            raise self.fail(fieldname, "must be a date like 2025-02-01, not a date and time")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(fieldname, f"must be a date like 2025-02-01, got {value!r}")

    def url(self, value: Any, fieldname: str) -> str:
        text = self.string(value, fieldname)
        try:
            parts = urlsplit(text)
        except ValueError as exc:  # e.g. an unclosed '[' of an IPv6 host
            raise self.fail(fieldname, f"is not a URL: {text!r} ({exc})") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(fieldname, f"must be an http(s) URL with a host, got {text!r}")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise self.fail(fieldname, f"has an invalid port: {text!r}") from exc
        return text

    def string_list(self, value: Any, fieldname: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(fieldname, "must be a list of strings")
        return [self.string(item, f"{fieldname}[{i}]") for i, item in enumerate(value)]

    def terms(self, value: Any, fieldname: str) -> tuple[str, ...]:
        terms = self.string_list(value, fieldname)
        for i, term in enumerate(terms):
            if "*" in term[:-1]:
                raise self.fail(f"{fieldname}[{i}]", f"'*' may only end a term, got {term!r}")
            if not re.search(r"\w", term):
                problem = f"a term needs letters or digits, got {term!r}"
                raise self.fail(f"{fieldname}[{i}]", problem)
        return tuple(terms)

    def story(self, data: dict[str, Any]) -> Story:
        self.unknown_keys(data, _TOP_KEYS, "")
        if "name" not in data:
            raise self.fail("name", "is required")
        name = self.string(data["name"], "name")
        if not SLUG.match(name):
            raise self.fail(
                "name", f"must be a slug (lower-case letters, digits, '-' or '_'), got {name!r}"
            )
        title = self.string(data.get("title", name), "title")
        since = self.day(data.get("since"), "since")
        until = self.day(data.get("until"), "until")
        if since and until and since > until:
            raise self.fail("until", f"{until} is before since ({since})")

        match_table = data.get("match", {})
        if not isinstance(match_table, dict):
            raise self.fail("match", "must be a table ([match])")
        self.unknown_keys(match_table, _MATCH_KEYS, "match.")
        match = MatchRule(
            all=self.terms(match_table.get("all"), "match.all"),
            any=self.terms(match_table.get("any"), "match.any"),
            none=self.terms(match_table.get("none"), "match.none"),
        )

        raw_sources = data.get("sources")
        if raw_sources is None:
            raise self.fail("sources", "is required: add at least one [[sources]] table")
        if not isinstance(raw_sources, list) or not raw_sources:
            raise self.fail("sources", "must be one or more [[sources]] tables")
        sources = [self.source(item, i) for i, item in enumerate(raw_sources)]
        seen: dict[str, str] = {}
        for i, source in enumerate(sources):
            if source.host in seen:
                raise self.fail(
                    f"sources[{i}].url",
                    f"{source.host} is already the site of source {seen[source.host]!r}",
                )
            seen[source.host] = source.name
        return Story(
            name=name,
            title=title,
            sources=tuple(sources),
            match=match,
            since=since,
            until=until,
            revisit=self.revisit(data.get("revisit", {})),
            archive=self.archive(data.get("archive", {})),
            versions=self.versions(data.get("versions", {})),
            archives=self.archives(data.get("archives", [])),
        )

    def archives(self, value: Any) -> tuple[ArchiveSource, ...]:
        if not isinstance(value, list):
            raise self.fail("archives", "must be one or more [[archives]] tables")
        out = [self.archive_source(item, i) for i, item in enumerate(value)]
        seen: set[str] = set()
        for i, archive in enumerate(out):
            if archive.name in seen:
                problem = f"{archive.name!r} names another archive too"
                problem += self.line_of(archive.name)
                raise self.fail(f"archives[{i}].name", problem)
            seen.add(archive.name)
        return tuple(out)

    def archive_source(self, item: Any, index: int) -> ArchiveSource:
        prefix = f"archives[{index}]"
        if not isinstance(item, dict):
            raise self.fail(prefix, "must be a table ([[archives]])")
        self.unknown_keys(item, _ARCHIVES_KEYS, f"{prefix}.")
        for key in ("name", "kind", "cdx"):
            if key not in item:
                raise self.fail(f"{prefix}.{key}", "is required")
        name = self.string(item["name"], f"{prefix}.name")
        if not SLUG.match(name):
            problem = f"must be a slug (lower-case letters, digits, '-' or '_'), got {name!r}"
            raise self.fail(f"{prefix}.name", problem + self.line_of(name))
        kind = self.string(item["kind"], f"{prefix}.kind")
        if kind not in ARCHIVE_KINDS:
            choices = ", ".join(f'"{k}"' for k in ARCHIVE_KINDS)
            problem = f"must be one of {choices}, got {kind!r}" + self.line_of(kind)
            raise self.fail(f"{prefix}.kind", problem)
        cdx = self.archive_url(item["cdx"], f"{prefix}.cdx")
        replay = data = ""
        needed, other = ("replay", "data") if kind == "wayback" else ("data", "replay")
        if needed not in item:
            raise self.fail(f"{prefix}.{needed}", f"is required for kind {kind!r}")
        if other in item:
            problem = f"is not used by kind {kind!r}" + self.line_of(str(item[other]))
            raise self.fail(f"{prefix}.{other}", problem)
        if kind == "wayback":
            replay = self.replay_template(item["replay"], f"{prefix}.replay")
        else:
            data = self.archive_url(item["data"], f"{prefix}.data")
        delay = item.get("delay", 1.0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 60:
            raise self.fail(f"{prefix}.delay", f"must be seconds from 0 to 60, got {delay!r}")
        concurrency = item.get("concurrency", 2)
        if (
            isinstance(concurrency, bool)
            or not isinstance(concurrency, int)
            or not 1 <= concurrency <= 16
        ):
            problem = f"must be a whole number from 1 to 16, got {concurrency!r}"
            raise self.fail(f"{prefix}.concurrency", problem)
        since = self.day(item.get("since"), f"{prefix}.since")
        until = self.day(item.get("until"), f"{prefix}.until")
        if since and until and since > until:
            raise self.fail(f"{prefix}.until", f"{until} is before since ({since})")
        return ArchiveSource(name, kind, cdx, replay, data, float(delay), concurrency, since, until)

    def archive_url(self, value: Any, fieldname: str) -> str:
        text = self.string(value, fieldname)
        try:
            return self.url(text, fieldname)
        except StoryError as exc:
            raise self.fail(fieldname, exc.problem + self.line_of(text)) from exc

    def replay_template(self, value: Any, fieldname: str) -> str:
        """A replay URL template: an http(s) URL with `{timestamp}` and `{url}`, and no other
        `{...}` (a typo such as `{timstamp}` would be sent as it is)."""
        text = self.string(value, fieldname)
        fields = re.findall(r"\{([^{}]*)\}", text)
        unknown = sorted(set(fields) - {"timestamp", "url"})
        where = self.line_of(text)
        if unknown:
            problem = f"unknown placeholder {{{unknown[0]}}} (use {{timestamp}} and {{url}})"
            raise self.fail(fieldname, problem + where)
        missing = [f"{{{f}}}" for f in ("timestamp", "url") if f not in fields]
        if missing:
            raise self.fail(fieldname, f"must contain {' and '.join(missing)}" + where)
        example = text.replace("{timestamp}", "20250201000000").replace("{url}", "http://a.b/")
        try:
            self.url(example, fieldname)
        except StoryError as exc:
            problem = f"must be an http(s) URL template with a host, got {text!r}"
            raise self.fail(fieldname, problem + where) from exc
        return text

    def revisit(self, table: Any) -> RevisitPolicy:
        if not isinstance(table, dict):
            raise self.fail("revisit", "must be a table ([revisit])")
        self.unknown_keys(table, _REVISIT_KEYS, "revisit.")
        values: dict[str, Any] = {}
        for key in ("first", "max", "stop_after"):
            if key in table:
                fieldname = f"revisit.{key}"
                try:
                    values[key] = parse_duration(self.string(table[key], fieldname))
                except ValueError as exc:
                    raise self.fail(fieldname, str(exc)) from exc
        for key in ("factor", "age_factor"):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise self.fail(f"revisit.{key}", f"must be a number, got {value!r}")
                values[key] = float(value)
        try:
            return RevisitPolicy(**values)
        except ValueError as exc:
            raise self.fail("revisit", str(exc)) from exc

    def archive(self, table: Any) -> ArchivePolicy:
        if not isinstance(table, dict):
            raise self.fail("archive", "must be a table ([archive])")
        self.unknown_keys(table, _ARCHIVE_KEYS, "archive.")
        policy = table.get("noarchive", "flag")
        if policy not in NOARCHIVE_POLICIES:
            choices = ", ".join(f'"{p}"' for p in NOARCHIVE_POLICIES)
            raise self.fail("archive.noarchive", f"must be one of {choices}, got {policy!r}")
        return ArchivePolicy(noarchive=policy)

    def versions(self, table: Any) -> VersionRules:
        if not isinstance(table, dict):
            raise self.fail("versions", "must be a table ([versions])")
        self.unknown_keys(table, _VERSIONS_KEYS, "versions.")
        values: dict[str, Any] = {}
        patterns = self.string_list(table.get("ignore"), "versions.ignore")
        values["ignore"] = tuple(self.ignore(p, i) for i, p in enumerate(patterns))
        if "min_changed_words" in table:
            count = table["min_changed_words"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                problem = f"must be a whole number of at least 1, got {count!r}"
                raise self.fail("versions.min_changed_words", problem)
            values["min_changed_words"] = count
        for key in ("truncated_below",):
            if key in table:
                share = table[key]
                if (
                    isinstance(share, bool)
                    or not isinstance(share, int | float)
                    or not 0 < share <= 1
                ):
                    problem = f"must be a number more than 0 and at most 1, got {share!r}"
                    raise self.fail(f"versions.{key}", problem)
                values[key] = float(share)
        return VersionRules(**values)

    def ignore(self, pattern: str, index: int) -> re.Pattern[str]:
        fieldname = f"versions.ignore[{index}]"
        try:
            compiled = compile_ignore(pattern)
        except re.error as exc:
            where = f" (position {exc.pos})" if exc.pos is not None else ""
            problem = f"is not a regular expression: {exc.msg}{where} in '{pattern}'"
            raise self.fail(fieldname, problem + self.line_of(pattern)) from exc
        if compiled.fullmatch(_PROSE):
            problem = f"'{pattern}' matches a whole line of ordinary prose: it would leave out "
            raise self.fail(fieldname, problem + "every paragraph" + self.line_of(pattern))
        return compiled

    def line_of(self, value: str) -> str:
        """', on line N' of the story file where `value` is written, if it is found there."""
        basic = value.replace("\\", "\\\\").replace('"', '\\"')
        quoted = (f"'{value}'", f'"{basic}"')
        for number, line in enumerate(self.text.splitlines(), start=1):
            if any(form in line for form in quoted):
                return f", on line {number}"
        return ""

    def source(self, item: Any, index: int) -> Source:
        prefix = f"sources[{index}]"
        if not isinstance(item, dict):
            raise self.fail(prefix, "must be a table ([[sources]])")
        self.unknown_keys(item, _SOURCE_KEYS, f"{prefix}.")
        if "url" not in item:
            raise self.fail(f"{prefix}.url", "is required")
        url = self.url(item["url"], f"{prefix}.url")
        name = self.string(item.get("name", urlsplit(url).netloc), f"{prefix}.name")
        feeds = self.string_list(item.get("feeds"), f"{prefix}.feeds")
        sitemaps = self.string_list(item.get("sitemaps"), f"{prefix}.sitemaps")
        for i, feed in enumerate(feeds):
            self.url(feed, f"{prefix}.feeds[{i}]")
        for i, sitemap in enumerate(sitemaps):
            self.url(sitemap, f"{prefix}.sitemaps[{i}]")
        follow = item.get("follow", 1)
        if isinstance(follow, bool) or not isinstance(follow, int) or not 0 <= follow <= 10:
            raise self.fail(
                f"{prefix}.follow", f"must be a whole number from 0 to 10, got {follow!r}"
            )
        return Source(
            name=name, url=url, feeds=tuple(feeds), sitemaps=tuple(sitemaps), follow=follow
        )
