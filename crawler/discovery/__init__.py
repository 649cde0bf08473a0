"""Finding article URLs: feeds, sitemaps and links. Pure functions over bytes, no framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Lead:
    """A URL worth fetching, with what the listing said about it."""

    url: str
    published: date | None = None
    """Publication date as the feed or news sitemap gives it."""
    modified: date | None = None
    """`<lastmod>` / `<updated>`: the page changed then, so it was published no later."""
    title: str | None = None
    keywords: tuple[str, ...] = field(default=())
    description: str | None = None
    """What a feed says of the article, as plain text: its full text (`content:encoded`, Atom
    `content`) or its summary (RSS `description`, Atom `summary`). A page that shows less is cut
    (crawler/versions/access.py)."""

    def hints(self) -> dict[str, str]:
        """What to carry to the stored page, as strings."""
        out: dict[str, str] = {}
        if self.published:
            out["published"] = self.published.isoformat()
        if self.modified:
            out["modified"] = self.modified.isoformat()
        if self.title:
            out["title"] = self.title
        if self.keywords:
            out["keywords"] = ", ".join(self.keywords)
        if self.description:
            out["description"] = self.description
        return out

    def outside(self, since: date | None, until: date | None) -> str | None:
        """Why this lead is certainly outside [since, until], or None when it may be inside.

        A publication date decides; without one, a modification date before `since` does too
        (an article cannot be published after it was last modified).
        """
        if self.published is not None:
            if since and self.published < since:
                return f"published {self.published}, before {since}"
            if until and self.published > until:
                return f"published {self.published}, after {until}"
            return None
        if self.modified is not None and since and self.modified < since:
            return f"last modified {self.modified}, before {since}"
        return None
