"""Pages for the extraction tests: the HTML files in data/, served as a fetch would serve them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawler.core.page import PageInput

DATA = Path(__file__).parent / "data"
ARTICLE_URL = (
    "https://www.harbourtimes.example/world/2025/02/04/el-salvador-offers-to-jail-us-deportees"
)
FETCHED_AT = datetime(2025, 2, 6, 12, 0, tzinfo=UTC)


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def make_page(
    body: str | bytes,
    *,
    url: str = ARTICLE_URL,
    status: int = 200,
    content_type: str | None = "text/html",
    fetched_at: datetime = FETCHED_AT,
) -> PageInput:
    """A fetched page; `body` is a file name in data/, or the payload itself."""
    payload = read(body) if isinstance(body, str) else body
    headers = (("Content-Type", content_type),) if content_type else ()
    return PageInput(
        url=url, final_url=url, status=status, headers=headers, body=payload, fetched_at=fetched_at
    )
