"""The one options object for extraction, built once and passed to every `extract()` call.

Like trafilatura's `Extractor`, it gathers every choice that changes what extraction produces, so
that a page extracted twice with equal options gives the same result, and `digest` can be recorded
with each extraction to tell which options made it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Literal, cast, get_args

from crawler import settings
from crawler.core.config import SettingsLike

Favor = Literal["precision", "recall", "balanced"]
FAVORS: tuple[Favor, ...] = get_args(Favor)
_DEFAULT_FAVOR = cast(Favor, settings.EXTRACT_FAVOR)  # checked in __post_init__


_ADDED_LATER = {"min_words_declared": 25}
"""Options added after digests were first recorded, with the value they were added with: left out
of the digest at that value, so that the options recorded before keep their digest."""


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """What to extract and how strictly. Defaults are the `EXTRACT_*` defaults of the crawl."""

    favor: Favor = _DEFAULT_FAVOR
    """trafilatura's trade-off: less but surer text ('precision') or more text ('recall')."""
    include_tables: bool = settings.EXTRACT_INCLUDE_TABLES
    include_comments: bool = settings.EXTRACT_INCLUDE_COMMENTS
    """Append readers' comments to the article text."""
    min_words: int = settings.EXTRACT_MIN_WORDS
    """A page whose main text has fewer words is not an article. Lines that are only a link's
    label (navigation, lists of headlines) do not count."""
    min_words_declared: int = settings.EXTRACT_MIN_WORDS_DECLARED
    """The same for a page that declares itself an article
    (`crawler.extraction.metadata.declares_article`); the lower of the two applies to it."""

    def __post_init__(self) -> None:
        if self.favor not in FAVORS:
            choices = ", ".join(repr(f) for f in FAVORS)
            raise ValueError(f"favor must be one of {choices}, got {self.favor!r}")
        for name in ("include_tables", "include_comments"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, got {value!r}")
        for name in ("min_words", "min_words_declared"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> ExtractOptions:
        """Options from plain values keyed by field name (e.g. read from `EXTRACT_*` settings).

        A missing key or a None value keeps the default; an unknown key is an error, so that a
        misspelt option cannot be silently ignored.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown extraction option(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        given = {key: value for key, value in values.items() if value is not None}
        return cls(**given)  # type: ignore[arg-type]  # values are checked in __post_init__

    @classmethod
    def from_settings(cls, values: SettingsLike) -> ExtractOptions:
        """The options of the `EXTRACT_*` settings (our defaults where a project's settings lack
        them): the crawl, re-extraction, ingest, recovery and repair all build them here, so one
        set of settings means one set of options for every verb."""
        return cls.from_mapping(
            {
                "favor": values.get("EXTRACT_FAVOR", settings.EXTRACT_FAVOR),
                "include_tables": values.getbool(
                    "EXTRACT_INCLUDE_TABLES", settings.EXTRACT_INCLUDE_TABLES
                ),
                "include_comments": values.getbool(
                    "EXTRACT_INCLUDE_COMMENTS", settings.EXTRACT_INCLUDE_COMMENTS
                ),
                "min_words": values.getint("EXTRACT_MIN_WORDS", settings.EXTRACT_MIN_WORDS),
                "min_words_declared": values.getint(
                    "EXTRACT_MIN_WORDS_DECLARED", settings.EXTRACT_MIN_WORDS_DECLARED
                ),
            }
        )

    @property
    def digest(self) -> str:
        """A short hash of the options, stable across runs and Python versions."""
        values = asdict(self)
        for name, introduced_as in _ADDED_LATER.items():
            if values[name] == introduced_as:
                del values[name]
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
