"""The web archives (`SimWeb(archive=True)`): a Wayback Machine (CDX API, raw replay) and a
Common Crawl index with its data server, on loopback, answering as the real services do and
holding the captures the truth lists, among them articles the live sites have lost."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import surt
from warcio.archiveiterator import ArchiveIterator

from crawler.simweb import SimWeb
from crawler.simweb.archive import ArchiveCapture, ArchiveTruth
from crawler.simweb.cdx import WAYBACK_FIELDS, urlkey
from tests.simweb.helpers import fetch

FEBRUARY = ("20250201000000", "20250228235959")


def archive(web: SimWeb) -> ArchiveTruth:
    assert web.truth.archive is not None
    return web.truth.archive


def cdx(web: SimWeb, query: str) -> list[list[str]]:
    resp = fetch(f"{archive(web).wayback}cdx/search/cdx?{query}&output=json")
    assert resp.status == 200 and resp.header("Content-Type") == "application/json"
    rows: list[list[str]] = json.loads(resp.body)
    return rows


def cc(web: SimWeb, query: str) -> tuple[int, list[dict[str, str]]]:
    truth = archive(web)
    resp = fetch(f"{truth.cc_index}{truth.collection}-index?{query}&output=json")
    return resp.status, [json.loads(line) for line in resp.text.splitlines()]


def hosts(captures: list[ArchiveCapture]) -> set[str]:
    return {urlsplit(c.url).netloc for c in captures}


def in_index_order(captures: list[ArchiveCapture]) -> list[ArchiveCapture]:
    return sorted(captures, key=lambda c: f"{urlkey(c.url)} {c.timestamp}")


# -- what the archives hold ------------------------------------------------------------------


def test_the_archives_hold_articles_the_live_sites_lost(featured: SimWeb) -> None:
    truth = featured.truth
    held = archive(featured)
    assert len(held.gone) == 4 and len(held.recoverable(0)) == 3 and len(held.recoverable(1)) == 4
    for url, (first, status) in held.gone.items():
        article = truth.article(url)
        assert article is not None and article.on_topic and article.in_window
        history = truth.timeline.history(url)
        assert history.deleted is not None and (history.deleted.round, history.deleted.status) == (
            first,
            status,
        )
        if first == 0:  # gone before the first crawl: linked and listed nowhere
            assert article.gone == status and not article.linked and not article.listed_in
        else:
            assert article.gone is None and article.linked
        for n in range(first, truth.timeline.last_round + 1):
            featured.set_round(n)
            assert fetch(url).status == status
        captures = [c for c in held.captures if c.article == url]
        assert captures and all(c.on_topic and c.in_window for c in captures)
    featured.set_round(0)
    several = [u for u in held.gone if len({c.digest for c in held.captures if c.url == u}) >= 3]
    assert several, "one article captured with different texts, and once gone"


def test_captures_are_of_february_2025_and_after_publication(featured: SimWeb) -> None:
    truth = featured.truth
    held = archive(featured)
    assert {c.archive for c in held.captures} == {"wayback", "cc"}
    for capture in held.captures:
        assert FEBRUARY[0] <= capture.timestamp <= FEBRUARY[1]
        article = truth.article(capture.url)
        if article is not None:
            published = datetime.combine(article.published, datetime.min.time(), UTC)
            assert capture.timestamp >= f"{published:%Y%m%d}"
    kinds = {(c.status, c.mime) for c in held.captures}
    assert {
        (200, "text/html"),
        (410, "text/html"),
        (301, "text/html"),
        (200, "text/plain"),
    } <= kinds
    assert (200, "application/rss+xml") in kinds
    assert any(not c.in_window and c.on_topic for c in held.captures), "out-of-window coverage"
    assert any(c.article and not c.on_topic for c in held.captures), "off-topic articles"


def test_a_capture_of_a_live_page_is_the_live_page(featured: SimWeb) -> None:
    featured.set_round(0)
    checked = 0
    for capture in archive(featured).captures:
        article = featured.truth.article(capture.url)
        if article is None or article.gone is not None or capture.status != 200:
            continue
        history = featured.truth.timeline.history(capture.url)
        if history.versions[0].paragraphs != capture.paragraphs:
            continue
        assert fetch(capture.url).body == capture.body, capture.url
        checked += 1
    assert checked >= 6


def test_urlkeys_are_the_surt_librarys(featured: SimWeb) -> None:
    for capture in archive(featured).captures:
        assert urlkey(capture.url) == surt.surt(capture.url)
    assert urlkey("http://www.Example.com/A/?b=2&a=1") == surt.surt(
        "http://www.Example.com/A/?b=2&a=1"
    )


# -- Wayback CDX server ----------------------------------------------------------------------


def test_cdx_lists_a_host_as_the_wayback_machine_does(featured: SimWeb) -> None:
    held = archive(featured).of("wayback")
    assert len(hosts(held)) == 4
    for host in hosts(held):
        rows = cdx(featured, f"url={host}/*")
        assert rows[0] == list(WAYBACK_FIELDS)
        expected = in_index_order([c for c in held if urlsplit(c.url).netloc == host])
        assert [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] == [
            {
                "urlkey": urlkey(c.url), "timestamp": c.timestamp, "original": c.url,
                "mimetype": c.mime, "statuscode": str(c.status), "digest": c.digest,
                "length": str(c.length),
            }
            for c in expected
        ]  # fmt: skip
        assert cdx(featured, f"url={host}&matchType=host") == rows
        assert cdx(featured, f"url={host}/&matchType=prefix") == rows


def test_cdx_scopes_dates_filters_and_collapses(featured: SimWeb) -> None:
    held = archive(featured).of("wayback")
    [url] = {c.url for c in held if sum(d.url == c.url for d in held) == 4}
    rows = cdx(featured, f"url={quote(url)}")[1:]
    assert [r[4] for r in rows] == ["200", "200", "200", "410"]
    assert rows[1][5] == rows[2][5] != rows[0][5], "two captures with one digest"
    assert len(cdx(featured, f"url={quote(url)}&collapse=digest")) == 1 + 3
    assert len(cdx(featured, f"url={quote(url)}&filter=statuscode:200")) == 1 + 3
    assert [r[4] for r in cdx(featured, f"url={quote(url)}&filter=!statuscode:200")[1:]] == ["410"]
    first, last = rows[1][1], rows[2][1]
    dated = cdx(featured, f"url={quote(url)}&from={first[:8]}&to={last[:10]}")
    assert [r[1] for r in dated[1:]] == [first, last]
    assert [r[1] for r in cdx(featured, f"url={quote(url)}&from=2025&to=202502")[1:]] == [
        r[1] for r in rows
    ]
    host = urlsplit(url).netloc
    html_rows = cdx(featured, f"url={host}/*&filter=mimetype:text/html")[1:]
    other = cdx(featured, f"url={host}/*&filter=!mimetype:text/html")[1:]
    assert [r[3] for r in other] == ["application/rss+xml"] and html_rows
    assert len(html_rows) + len(other) == len(cdx(featured, f"url={host}/*")) - 1
    assert cdx(featured, f"url={host}/*&fl=timestamp,statuscode&limit=1")[0] == [
        "timestamp",
        "statuscode",
    ]
    assert cdx(featured, "url=127.0.0.2:1/*") == []
    bad = fetch(f"{archive(featured).wayback}cdx/search/cdx?url={host}&matchType=bogus")
    assert bad.status == 400


def test_cdx_pages_with_a_resume_key(featured: SimWeb) -> None:
    """`showResumeKey` ends a limited page with an empty row and the key; `resumeKey` goes on
    from there, with the rest of the query unchanged, until no key comes back."""
    host = max(
        hosts(archive(featured).of("wayback")), key=lambda h: len(cdx(featured, f"url={h}/*"))
    )
    everything = cdx(featured, f"url={host}/*")[1:]
    assert len(everything) >= 5
    seen: list[list[str]] = []
    query, pages = f"url={host}/*&limit=2&showResumeKey=true", 0
    while True:
        rows = cdx(featured, query)
        pages += 1
        if len(rows) >= 3 and rows[-2] == []:
            [key] = rows[-1]
            seen += rows[1:-2]
            query = f"url={host}/*&limit=2&showResumeKey=true&resumeKey={key}"
            continue
        seen += rows[1:]
        break
    assert seen == everything and pages == -(-len(everything) // 2)
    plain = fetch(
        f"{archive(featured).wayback}cdx/search/cdx?url={host}/*&limit=1&showResumeKey=true"
    )
    lines = plain.text.split("\n")
    assert len(lines[0].split(" ")) == 7 and lines[1] == "" and lines[2].endswith("%21")


# -- Wayback replay --------------------------------------------------------------------------


def test_raw_replay_returns_what_was_archived(featured: SimWeb) -> None:
    base = archive(featured).wayback
    for capture in archive(featured).of("wayback"):
        resp = fetch(f"{base}web/{capture.timestamp}id_/{capture.url}")
        assert resp.status == capture.status and resp.body == capture.body, capture.url
        original = dict(capture.headers)
        assert resp.header("Content-Type") == original["Content-Type"]
        assert resp.header("X-Archive-Orig-Date") == original["Date"]
        assert resp.header("Memento-Datetime") == original["Date"]
        if capture.status == 301:
            location = resp.header("Location") or ""
            assert location.startswith(f"{base}web/{capture.timestamp}id_/http://127.0.0.1:")
            assert resp.header("X-Archive-Orig-Location") == original["Location"]


def test_replay_redirects_to_the_nearest_capture(featured: SimWeb) -> None:
    base = archive(featured).wayback
    held = archive(featured).of("wayback")
    [url] = {c.url for c in held if sum(d.url == c.url for d in held) == 4}
    stamps = sorted(c.timestamp for c in held if c.url == url)
    for asked, nearest in (
        ("2025", stamps[0]),
        ("20250301", stamps[-1]),
        (stamps[1][:8], stamps[1]),
    ):
        resp = fetch(f"{base}web/{asked}id_/{url}")
        assert resp.status == 302 and resp.header("Location") == f"{base}web/{nearest}id_/{url}"
    assert (
        fetch(f"{base}web/{stamps[0]}/{url}").header("Location")
        == f"{base}web/{stamps[0]}id_/{url}"
    )
    assert fetch(f"{base}web/2025id_/http://127.0.0.2:1/nothing").status == 404
    robots = fetch(base + "robots.txt")
    assert robots.status == 200 and robots.text.startswith("User-agent: *")


# -- Common Crawl index and data -------------------------------------------------------------


def test_cc_index_answers_json_lines_in_pages(featured: SimWeb) -> None:
    held = archive(featured).of("cc")
    per_host = [sum(urlsplit(c.url).netloc == h for c in held) for h in hosts(held)]
    assert max(per_host) > 5, "some host needs two pages"
    for host in hosts(held):
        expected = in_index_order([c for c in held if urlsplit(c.url).netloc == host])
        status, [count] = cc(featured, f"url={host}/*&showNumPages=true")
        assert status == 200 and count == {
            "pages": -(-len(expected) // 5),
            "pageSize": 5,
            "blocks": len(expected),
        }
        lines = []
        for page in range(count["pages"]):
            status, found = cc(featured, f"url={host}/*&page={page}")
            assert status == 200 and len(found) <= 5
            lines += found
        assert [(r["url"], r["timestamp"]) for r in lines] == [
            (c.url, c.timestamp) for c in expected
        ]
        for line, capture in zip(lines, expected, strict=True):
            assert line["filename"] == capture.filename and line["status"] == str(capture.status)
            assert (line["offset"], line["length"]) == (str(capture.offset), str(capture.length))
            assert line["mime"] == capture.mime and line["digest"] == capture.digest
        status, _ = cc(featured, f"url={host}/*&page={count['pages']}")
        assert status == 400


def test_cc_index_filters_and_misses(featured: SimWeb) -> None:
    held = archive(featured).of("cc")
    host = max(hosts(held), key=lambda h: sum(urlsplit(c.url).netloc == h for c in held))
    _, everything = cc(featured, f"url={host}/*")
    _, html_only = cc(featured, f"url={host}/*&filter=mime:text/html")
    _, others = cc(featured, f"url={host}/*&filter=!mime:text/html")
    assert len(html_only) + len(others) == len(everything) and others
    _, exact = cc(featured, f"url={host}/*&filter==status:200&fl=url,status")
    assert exact and all(set(r) == {"url", "status"} and r["status"] == "200" for r in exact)
    status, [message] = cc(featured, "url=127.0.0.2:1/*")
    assert status == 404 and message == {"message": "No Captures found for: 127.0.0.2:1/*"}
    info = json.loads(fetch(archive(featured).cc_index + "collinfo.json").body)
    assert info[0]["id"] == "CC-MAIN-2025-08" and info[0]["cdx-api"].endswith(
        "CC-MAIN-2025-08-index"
    )


def test_cc_data_serves_records_by_range(featured: SimWeb) -> None:
    """A `Range` of a record's offset and length is one gzip member: warcio reads it as the
    response the index describes, payload and digest included."""
    data = archive(featured).cc_data
    held = archive(featured).of("cc")
    for capture in held:
        end = capture.offset + capture.length - 1
        resp = fetch(data + capture.filename, Range=f"bytes={capture.offset}-{end}")
        assert resp.status == 206 and len(resp.body) == capture.length
        assert (resp.header("Content-Range") or "").startswith(f"bytes {capture.offset}-{end}/")
        read = []
        for record in ArchiveIterator(io.BytesIO(resp.body)):
            read.append(record.rec_type)
            assert record.rec_headers.get_header("WARC-Target-URI") == capture.url
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            assert digest == f"sha1:{capture.digest}"
            assert record.http_headers.get_statuscode() == str(capture.status)
            assert record.content_stream().read() == capture.body
        assert read == ["response"]
    files = {c.filename for c in held}
    assert len(files) == 2
    records = 0
    for name in files:
        whole = fetch(data + name)
        assert whole.status == 200 and whole.header("Accept-Ranges") == "bytes"
        types = [r.rec_type for r in ArchiveIterator(io.BytesIO(whole.body))]
        assert types[0] == "warcinfo" and types.count("request") == types.count("response")
        records += types.count("response")
        size = len(whole.body)
        assert fetch(data + name, Range=f"bytes={size}-").status == 416
        assert fetch(data + name, Range="bytes=-10").body == whole.body[-10:]
    assert records == len(held)
    assert fetch(data + "crawl-data/none.warc.gz").status == 404


def test_the_archive_stays_off_without_the_flag(web: SimWeb) -> None:
    assert web.truth.archive is None and not web.features.archive
