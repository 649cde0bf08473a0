"""The one door, decision by decision: what a record's capture is, whether it holds a page, what
is stored of the page, and the outcome; each made once for every way a record comes in."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.core.capture import Capture
from crawler.core.page import not_a_page
from crawler.core.record import WarcRecord, parse_warc_date
from crawler.core.story import parse_story
from crawler.extraction.options import ExtractOptions
from crawler.services.door import PARTIAL, process, revisit_outcome
from crawler.services.exchange import (
    Archived,
    NotACapture,
    RedirectIndex,
    capture_of,
    paired,
)
from crawler.services.files import ArchiveDoor, Entry
from storage.warc import HttpRequestData, HttpResponseData, WarcWriter, revisit_profile
from storage.warcscan import scan
from tests.support import response_record

ARTICLE = (Path(__file__).parents[1] / "extraction" / "data" / "article.html").read_bytes()
URL = "http://news.example/world/deal"
OPTIONS = ExtractOptions()
BAD_DATE = "2009-03-65T08:43:19-0800"
PROFILES = "http://netpreserve.org/warc/1.0/revisit/"
GZIPPED_HTML = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"))
STORY = parse_story(
    'name = "s"\n[match]\nall = ["El Salvador"]\nany = ["prison*", "deport*"]\n'
    '[[sources]]\nurl = "http://news.example/"\n'
)


def archived(record: WarcRecord, **kwargs: object) -> Archived:
    return Archived(record, "f.warc.gz", 0, 100, **kwargs)  # type: ignore[arg-type]


def with_headers(record: WarcRecord, *extra: tuple[str, str]) -> WarcRecord:
    return WarcRecord(
        record.rec_type,
        (*record.warc_headers, *extra),
        record.http_start_line,
        record.http_headers,
        record.payload,
    )


# --- the one rule for what a page is ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "content_type", "body", "reason"),
    [
        (URL, 200, "text/html; charset=utf-8", b"", None),
        (URL, 200, "application/xhtml+xml", b"", None),
        (URL, 200, None, b"\xef\xbb\xbf  <!-- x --><!DOCTYPE html><p>", None),  # sniffed
        (URL, 200, None, b"<?xml version='1.0'?><html><body>", None),
        (URL, 200, None, b"%PDF-1.7", "not-html"),
        (URL, 200, None, None, None),  # body unknown yet (did not decode): a page until read
        (URL, 200, "application/pdf", b"<html>", "not-html"),
        (URL, 404, "text/html", b"<html>", "http-404"),
        ("file:///tmp/page.html", 200, "text/html", b"<html>", "not-http"),
        ("dns:news.example", 200, "text/dns", b"", "not-http"),
    ],
)
def test_one_rule_says_what_a_page_is(
    url: str, status: int, content_type: str | None, body: bytes | None, reason: str | None
) -> None:
    assert not_a_page(url, status, content_type, body) == reason


# --- the capture of a record --------------------------------------------------------------------


def test_the_capture_of_a_record_carries_what_is_wrong_with_it() -> None:
    record = response_record(URL, b"<html>no type</html>", headers=(("Server", "x"),))
    record = with_headers(record, ("WARC-Truncated", "length"))
    record = WarcRecord(
        record.rec_type,
        tuple(
            (k, "2009-03-65T08:43:19-0800" if k == "WARC-Date" else v)
            for k, v in record.warc_headers
        ),
        record.http_start_line,
        (*record.http_headers, ("Date", "Tue, 13 Jan 2009 18:05:10 GMT")),
        record.payload,
    )
    capture = capture_of(archived(record, flags=frozenset({"digest-mismatch"}), declared_length=9))

    assert capture.flags == ("bad-date", "digest-mismatch", "no-content-type", "truncated")
    assert capture.declared_length == 9
    assert capture.fetched_at == datetime(2009, 1, 13, 18, 5, 10, tzinfo=UTC)
    assert capture.content_type is None


def test_a_revisit_cut_on_purpose_is_not_flagged_truncated() -> None:
    revisit = WarcRecord(
        "revisit",
        (
            ("WARC-Type", "revisit"),
            ("WARC-Record-ID", "<urn:uuid:r>"),
            ("WARC-Target-URI", URL),
            ("WARC-Date", "2025-02-05T00:00:00Z"),
            ("WARC-Truncated", "length"),
            (
                "WARC-Profile",
                "http://netpreserve.org/warc/1.0/revisit/uri-agnostic-identical-payload-digest",
            ),
            ("WARC-Payload-Digest", "sha1:ABC"),
            ("WARC-Refers-To", "<urn:uuid:o>"),
        ),
        "HTTP/1.1 200 OK",
        (("Content-Type", "text/html"),),
        b"",
    )
    capture = capture_of(archived(revisit))
    assert capture.flags == ()
    assert (capture.record_type, capture.revisit_profile, capture.refers_to) == (
        "revisit",
        "identical-payload-digest",
        "<urn:uuid:o>",
    )
    assert capture.payload_digest == "sha1:ABC"


def test_records_that_are_no_capture_say_why() -> None:
    dns = WarcRecord(
        "response",
        (
            ("WARC-Type", "response"),
            ("WARC-Record-ID", "<urn:x>"),
            ("WARC-Target-URI", "dns:a"),
            ("WARC-Date", "2025-02-05T00:00:00Z"),
        ),
        None,
        (),
        b"20250205 a. IN A 1.2.3.4",
    )
    with pytest.raises(NotACapture, match="holds no HTTP response"):
        capture_of(archived(dns))
    with pytest.raises(NotACapture, match="a warcinfo record"):
        capture_of(archived(WarcRecord("warcinfo", (), None, (), b"")))


def test_a_location_keeps_the_bytes_the_server_sent() -> None:
    """Header text is Latin-1, one character per byte: 'Ã©' is the UTF-8 of 'é'."""
    record = response_record(URL, b"", status=302, headers=(("Location", "/landing?x=Ã©"),))
    assert capture_of(archived(record)).location == "http://news.example/landing?x=%C3%A9"


def test_revisit_profiles_of_every_warc_version_are_one() -> None:
    for uri, profile in [
        ("http://netpreserve.org/warc/1.1/revisit/server-not-modified", "server-not-modified"),
        (
            "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
            "identical-payload-digest",
        ),
        (
            "http://netpreserve.org/warc/1.0/revisit/uri-agnostic-identical-payload-digest",
            "identical-payload-digest",
        ),
        ("http://example.com/something-else", None),
        (None, None),
    ]:
        assert revisit_profile(uri) == profile


def test_redirect_aliases_come_from_locations_or_from_a_chain() -> None:
    def redirect(url: str, to: str) -> Capture:
        return capture_of(
            archived(response_record(url, b"", status=301, headers=(("Location", to),)))
        )

    from_records = RedirectIndex()
    from_records.add(redirect("http://news.example/a?utm_source=rss", "/b"))
    from_records.add(redirect("http://news.example/b", "http://news.example/world/deal"))
    from_chain = RedirectIndex()
    from_chain.add_chain(["http://news.example/a?utm_source=rss", "http://news.example/b", URL])

    expected = ("http://news.example/b", "http://news.example/a")
    assert from_records.chain(URL) == from_chain.chain(URL) == expected


def test_warc_dates_parse_as_the_format_says() -> None:
    assert parse_warc_date("2009-03-05T08:43:19-0800") == datetime(
        2009, 3, 5, 16, 43, 19, tzinfo=UTC
    )
    assert parse_warc_date("2014-01") == datetime(2014, 1, 1, tzinfo=UTC)
    assert parse_warc_date("2014-02-10T00:00:01.000000002Z").microsecond == 0
    assert parse_warc_date("2015-07-29T20:10:45+02:00") == datetime(
        2015, 7, 29, 18, 10, 45, tzinfo=UTC
    )
    for bad in ("2009-03-65T08:43:19Z", "5088968-11-06T12:31:23Z", "blue monday"):
        with pytest.raises(ValueError):
            parse_warc_date(bad)


# --- what is stored of a page -------------------------------------------------------------------


def test_a_page_becomes_an_article_judged_with_its_aliases_and_outcome() -> None:
    record = response_record(
        URL,
        gzip.compress(ARTICLE),
        headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip")),
    )
    done = process(
        record, OPTIONS, story=STORY, aliases=("http://news.example/b", "http://news.example/a")
    )

    assert done.extraction is not None and done.extraction.article is not None
    assert done.relevance is not None and done.relevance.relevant
    assert (done.url, done.final_url) == ("http://news.example/a", URL)
    assert (done.outcome, done.reason, done.detail) == ("stored", "article", None)


def test_a_body_that_does_not_decode_is_a_failed_extraction_not_a_loss() -> None:
    record = response_record(
        URL,
        b"not gzip at all",
        headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip")),
    )
    done = process(record, OPTIONS)
    assert done.extraction is not None and done.extraction.article is None
    assert (done.extraction.reason or "").startswith("error: ContentDecodingError")
    assert (done.outcome, done.reason) == ("failed", "extraction-error")


def test_the_article_of_a_truncated_record_says_its_text_may_be_partial() -> None:
    record = response_record(URL, ARTICLE)
    assert process(record, OPTIONS).extraction.reason is None  # type: ignore[union-attr]
    for done in (
        process(record, OPTIONS, flags=("truncated",)),
        process(with_headers(record, ("WARC-Truncated", "disconnect")), OPTIONS),
    ):
        assert done.extraction is not None and done.extraction.article is not None
        assert done.extraction.reason == PARTIAL
        assert (done.outcome, done.reason, done.detail) == ("stored", "article", PARTIAL)


def test_what_is_not_a_page_is_archived_only() -> None:
    pdf = response_record(URL, b"%PDF-1.7", headers=())
    done = process(pdf, OPTIONS)
    assert done.extraction is None
    assert (done.outcome, done.reason, done.detail) == ("archived", "not-html", "no Content-Type")
    gone = process(response_record(URL, b"<html>", status=404), OPTIONS)
    assert (gone.extraction, gone.outcome, gone.reason) == (None, "failed", "http-404")


# --- revisits, in the doors that read files -----------------------------------------------------


def test_a_revisit_of_its_own_url_is_the_same_page_again_and_of_another_a_page(
    tmp_path: Path,
) -> None:
    with WarcWriter(tmp_path, prefix="r", max_size=1 << 30) as writer:
        when = datetime(2025, 2, 5, tzinfo=UTC)
        original = writer.write_exchange(
            HttpRequestData("GET", URL, "HTTP/1.1", []),
            HttpResponseData(200, "OK", "HTTP/1.1", [(b"Content-Type", b"text/html")], ARTICLE),
            fetched_at=when,
        )
    door = ArchiveDoor(OPTIONS, None, discovered_via="test")
    base = Archived.written(original)
    revisit = with_headers(
        WarcRecord(
            "revisit",
            (
                ("WARC-Type", "revisit"),
                ("WARC-Record-ID", "<urn:uuid:again>"),
                ("WARC-Target-URI", URL),
                ("WARC-Date", "2025-02-06T00:00:00Z"),
                ("WARC-Payload-Digest", original.payload_digest),
                ("WARC-Refers-To", original.record_id),
            ),
            "HTTP/1.1 304 Not Modified",
            (),
            b"",
        )
    )
    elsewhere = WarcRecord(
        "revisit",
        (
            *(
                (k, v)
                for k, v in revisit.warc_headers
                if k not in ("WARC-Record-ID", "WARC-Target-URI")
            ),
            ("WARC-Target-URI", "http://mirror.example/copy"),
            ("WARC-Record-ID", "<urn:uuid:copy>"),
        ),
        "HTTP/1.1 200 OK",
        (("Content-Type", "text/html"),),
        b"",
    )
    entries = [
        Entry(base, capture_of(base)),
        Entry(archived(revisit), capture_of(archived(revisit)), original.record),
        Entry(archived(elsewhere), capture_of(archived(elsewhere)), original.record),
    ]
    rows = door.rows(entries)

    assert [c.warc_record_id for c in rows.captures] == [
        original.record_id,
        "<urn:uuid:again>",
        "<urn:uuid:copy>",
    ]
    assert [r.outcome for r in rows.revisits] == ["unchanged"]  # the same page again
    assert sorted(p.final_url for p in rows.pages) == ["http://mirror.example/copy", URL]
    assert rows.publishers == {
        "news.example": "http://news.example/",
        "mirror.example": "http://mirror.example/",
    }
    assert revisit_outcome(rows.captures[1]) == "unchanged"


def test_request_records_are_paired_with_their_exchange_either_way(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, prefix="p", max_size=1 << 30) as writer:
        written = writer.write_exchange(
            HttpRequestData("GET", URL, "HTTP/1.1", []),
            HttpResponseData(200, "OK", "HTTP/1.1", [(b"Content-Type", b"text/html")], b"<p>"),
            fetched_at=datetime(2025, 2, 5, tzinfo=UTC),
        )
    (path,) = tmp_path.glob("p-*")
    (exchange,) = [a for a in paired(scan(path), path.name) if isinstance(a, Archived)]
    assert exchange.request_record_id == written.request_record_id
    assert capture_of(exchange) == capture_of(Archived.written(written))  # one capture, any door


WALLS = Path(__file__).resolve().parents[1] / "extraction" / "data" / "walls"
ARTICLE_PAGE = (
    b"<html><head><title>Strike</title></head><body><article><h1>Strike</h1>"
    + b"".join(
        b"<p>The dockers at the harbour went on strike on Monday over pay and hours, the union "
        b"said, and the port stood still for the whole day while talks went on.</p>"
        for _ in range(6)
    )
    + b"</article></body></html>"
)


def test_a_challenge_behind_a_403_is_a_walled_capture_with_its_reason() -> None:
    body = (WALLS / "cloudflare-managed-challenge.html").read_bytes()
    record = response_record(
        "http://news.example/a",
        body,
        status=403,
        headers=(("Content-Type", "text/html; charset=utf-8"), ("cf-mitigated", "challenge")),
    )
    done = process(record, ExtractOptions())
    assert done.access.access == "challenge"
    assert (done.outcome, done.reason) == ("stored", "wall-challenge")
    assert done.detail and done.detail.startswith("challenge: cf-mitigated")
    assert done.extraction is not None and done.extraction.article is None
    assert done.extraction.reason == "walled: challenge"


def test_a_plain_403_is_still_a_failed_fetch() -> None:
    record = response_record(
        "http://news.example/a", b"<html><body>Forbidden</body></html>", status=403
    )
    done = process(record, ExtractOptions())
    assert (done.outcome, done.reason, done.extraction) == ("failed", "http-403", None)


@pytest.mark.parametrize(("policy", "flagged"), [("flag", True), ("ignore", False), (None, True)])
def test_rights_are_read_with_the_page_and_flagged_by_policy(
    policy: str | None, flagged: bool
) -> None:
    record = response_record(
        "http://news.example/a",
        ARTICLE_PAGE,
        headers=(("Content-Type", "text/html"), ("X-Robots-Tag", "noarchive")),
    )
    table = f'\n[archive]\nnoarchive = "{policy}"\n' if policy else ""
    story = (
        parse_story(
            'name = "s"\ntitle = "t"\nsince = 2025-02-01\nuntil = 2025-02-28\n'
            '[match]\nany = ["strike"]\n[[sources]]\nname = "N"\nurl = "http://news.example/"\n'
            + table
        )
        if policy
        else None
    )
    done = process(record, ExtractOptions(), story=story)
    assert done.rights == "X-Robots-Tag: noarchive"
    assert done.noarchive is flagged
    assert done.access.access == "open" and done.outcome == "stored"
