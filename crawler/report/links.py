"""Where the report's links go: to the archived copy of a page, never to the live site.

A link is made from a template (`newsarchive report --replay`) with three fields: `{url}` the
page's URL percent-encoded (for a query string), `{raw_url}` the URL as it is (for a path, as
pywb takes it), `{timestamp}` the page's first capture as YYYYMMDDhhmmss (UTC). The default goes
to `newsarchive serve` on its default port, whose `/-/replay?url=` shows the URL's latest
capture.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

DEFAULT_REPLAY = "http://127.0.0.1:8001/-/replay?url={url}"
"""`newsarchive serve --data DIR` (port 8001): the latest capture of the URL."""
FIELDS = ("url", "raw_url", "timestamp")


def check_template(template: str) -> str:
    """A replay template checked: its fields are among `FIELDS` and name the URL; else
    ValueError, saying why."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"the replay template {template!r} is malformed: {exc}") from None
    unknown = [name for name in fields if name not in FIELDS]
    if unknown:
        raise ValueError(
            f"the replay template {template!r} has an unknown field {{{unknown[0]}}}: "
            "it takes {url}, {raw_url} and {timestamp}"
        )
    if not {"url", "raw_url"} & set(fields):
        raise ValueError(f"the replay template {template!r} must contain {{url}} or {{raw_url}}")
    return template


@dataclass(frozen=True, slots=True)
class ReplayLinks:
    template: str = DEFAULT_REPLAY

    def href(self, url: str, captured: datetime | None = None) -> str:
        """The link to the archived copy of `url` (captured then, if known)."""
        when = captured.astimezone(UTC) if captured is not None and captured.tzinfo else captured
        return self.template.format(
            url=quote(url, safe=""),
            raw_url=url,
            timestamp=when.strftime("%Y%m%d%H%M%S") if when is not None else "",
        )
