"""Rights signals: noarchive in every form a page sends it, for us or for another crawler."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler import settings
from crawler.core.page import PageInput
from crawler.core.rights import AGENT, header_signals, meta_signals, page_rights

RIGHTS = Path(__file__).parent / "data" / "rights"


def page(body: bytes = b"<html><head></head><body>x</body></html>", *headers: str) -> PageInput:
    return PageInput(
        url="http://127.0.0.1:8001/a",
        final_url="http://127.0.0.1:8001/a",
        status=200,
        headers=(("Content-Type", "text/html"), *(("X-Robots-Tag", h) for h in headers)),
        body=body,
        fetched_at=datetime(2025, 2, 6, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("values", "noarchive"),
    [
        (["noarchive"], True),
        (["NOARCHIVE"], True),
        (["none"], True),
        (["nocache"], True),
        (["noindex, nofollow, noarchive"], True),
        (["noindex", "noarchive"], True),  # two headers
        (["newsarchive: noarchive"], True),
        (["NewsArchive: noindex, noarchive"], True),  # the agent's rules run to the list's end
        (["otherbot: noarchive"], False),
        (["googlebot: nofollow, otherbot: noarchive"], False),
        (["googlebot: noarchive, newsarchive: nofollow"], False),
        (["otherbot: noarchive", "noarchive"], True),  # a new header is for everyone again
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], False),
        (["max-snippet: 20, noarchive"], True),
        (["noindex, nofollow"], False),
        ([], False),
    ],
)
def test_x_robots_tag_in_every_form(values: list[str], noarchive: bool) -> None:
    rights = page_rights(page(b"", *values))
    assert rights.noarchive is noarchive
    assert any(s.applies for s in header_signals(values)) is noarchive


def test_a_rule_for_another_crawler_is_kept_but_does_not_apply() -> None:
    (signal,) = header_signals(["otherbot: noindex, noarchive"])
    assert (signal.agent, signal.rule, signal.applies) == ("otherbot", "noarchive", False)
    assert str(signal) == "X-Robots-Tag: otherbot: noindex, noarchive (not for us)"
    assert page_rights(page(b"", "otherbot: noarchive")).source == ""


@pytest.mark.parametrize(
    ("tags", "noarchive"),
    [
        ('<meta name="robots" content="noarchive">', True),
        ('<meta name="ROBOTS" content="noindex, NOARCHIVE">', True),
        ("<meta name=robots content=none>", True),
        ("<meta content='noarchive' name='newsarchive'>", True),
        ('<meta name="otherbot" content="noarchive">', False),
        ('<meta name="googlebot" content="noarchive"><meta name="robots" content="index">', False),
        ('<meta name="robots" content="noindex, nofollow">', False),
        ('<!-- <meta name="robots" content="noarchive"> -->', False),
        ('<script>var t = \'<meta name="robots" content="noarchive">\';</script>', False),
        ('<meta property="og:title" content="noarchive">', False),
        ('<meta name="msapplication-config" content="none">', False),
    ],
)
def test_robots_meta_tags_in_every_form(tags: str, noarchive: bool) -> None:
    html = f"<html><head>{tags}</head><body>x</body></html>"
    assert page_rights(page(html.encode())).noarchive is noarchive
    assert any(s.applies for s in meta_signals(html)) is noarchive


def test_tags_of_other_crawlers_are_kept_and_unrelated_tags_are_not() -> None:
    html = (
        '<meta name="googlebot-news" content="noarchive">'
        '<meta name="msapplication-config" content="none">'
        '<meta name="smartbanner:enabled-platforms" content="none">'
    )
    assert [(s.name, s.applies) for s in meta_signals(html)] == [("googlebot-news", False)]


def test_where_the_signal_came_from() -> None:
    html = b'<html><head><meta name="robots" content="noindex, noarchive"></head></html>'
    rights = page_rights(page(html, "newsarchive: noarchive", "otherbot: noarchive"))
    assert rights.noarchive
    assert [(s.where, s.name, s.applies) for s in rights.signals] == [
        ("header", "X-Robots-Tag", True),
        ("header", "X-Robots-Tag", False),
        ("meta", "robots", True),
    ]
    assert rights.source == (
        "X-Robots-Tag: newsarchive: noarchive; meta robots: noindex, noarchive"
    )


def test_a_real_page_that_asks_not_to_be_archived() -> None:
    """books.toscrape.com, as node-warc's test WARC holds it: `NOARCHIVE,NOCACHE`."""
    body = gzip.decompress((RIGHTS / "books.toscrape.com.html.gz").read_bytes())
    rights = page_rights(page(body))
    assert rights.noarchive
    assert {s.rule for s in rights.signals} == {"noarchive", "nocache"}
    assert rights.source.startswith("meta robots: NOARCHIVE,NOCACHE")


def test_meta_tags_are_not_read_from_other_files() -> None:
    other = PageInput(
        url="http://127.0.0.1:8001/f.txt",
        final_url="http://127.0.0.1:8001/f.txt",
        status=200,
        headers=(("Content-Type", "text/plain"),),
        body=b'<meta name="robots" content="noarchive">',
        fetched_at=datetime(2025, 2, 6, tzinfo=UTC),
    )
    assert not page_rights(other).noarchive


def test_our_token_is_the_user_agents_product() -> None:
    assert settings.BOT_NAME == AGENT
    assert settings.USER_AGENT.startswith(f"{AGENT}/")
