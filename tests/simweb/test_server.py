"""HTTP behaviour of the simulated publishers, seen from a client on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import uuid
from urllib.parse import urlsplit

import pytest

from crawler.simweb import SimPublisher, SimWeb
from crawler.simweb.server import accepts_gzip
from tests.simweb.helpers import fetch


def publisher(web: SimWeb, slug: str) -> SimPublisher:
    return next(p for p in web.publishers if p.slug == slug)


def seed_url(web: SimWeb, seed_id: str) -> str:
    return next(a.url for a in web.truth.articles if a.seed_id == seed_id)


def test_every_publisher_answers(web: SimWeb) -> None:
    publishers = [p for p in web.publishers if p.host != web.truth.failing_host]
    assert len(publishers) == 5
    assert len({p.host for p in publishers}) == 5
    for p in publishers:
        assert p.base_url == f"http://{p.host}/" and p.host.startswith("127.0.0.1:")
        home = fetch(p.base_url)
        assert home.status == 200
        assert (home.header("Content-Type") or "").startswith("text/html")
        assert '<html lang="en">' in home.text
        robots = fetch(p.base_url + "robots.txt")
        assert robots.status == 200 and "User-agent: *" in robots.text
        assert fetch(p.base_url + "no/such/page").status == 404


def test_failing_publisher_answers_500_to_everything(web: SimWeb) -> None:
    host = web.truth.failing_host
    assert host is not None and host in {p.host for p in web.publishers}
    for path in ("/", "/robots.txt", "/world/", "/anything?x=1"):
        assert fetch(f"http://{host}{path}").status == 500


def test_gzip_when_accepted_and_identity_otherwise(web: SimWeb) -> None:
    url = seed_url(web, "000")
    plain = fetch(url)
    zipped = fetch(url, Accept_Encoding="gzip, deflate")
    refused = fetch(url, Accept_Encoding="gzip;q=0, identity")
    assert plain.header("Content-Encoding") is None and refused.header("Content-Encoding") is None
    assert zipped.header("Content-Encoding") == "gzip"
    assert zipped.body[:2] == b"\x1f\x8b" and gzip.decompress(zipped.body) == plain.body
    assert int(zipped.header("Content-Length") or 0) == len(zipped.body)
    assert zipped.header("Vary") == "Accept-Encoding"
    assert zipped.header("ETag") != plain.header("ETag")
    # Publishers without gzip never compress.
    other = fetch(seed_url(web, "001"), Accept_Encoding="gzip")
    assert other.header("Content-Encoding") is None and other.body.startswith(b"<!DOCTYPE")


def test_repeated_headers(web: SimWeb) -> None:
    cookies = fetch(seed_url(web, "000")).all("Set-Cookie")
    assert len(cookies) == 2 and cookies[0] != cookies[1]
    links = fetch(seed_url(web, "003")).all("Link")
    assert len(links) == 2


BOTH = frozenset({"etag", "last-modified"})
VALIDATORS = {
    "000": BOTH,
    "001": BOTH,
    "002": frozenset(),
    "003": frozenset({"last-modified"}),
    "004": frozenset({"etag"}),
}
"""Per seed article, what its publisher sends: recrawls must also cope with neither."""


@pytest.mark.parametrize("seed_id", sorted(VALIDATORS))
def test_articles_send_their_publishers_validators_and_honour_them(
    web: SimWeb, seed_id: str
) -> None:
    article = next(a for a in web.truth.articles if a.seed_id == seed_id)
    assert article.validators == VALIDATORS[seed_id]
    assert all(
        a.validators == article.validators for a in web.truth.articles if a.host == article.host
    )
    first = fetch(article.url)
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    assert (etag is not None) == ("etag" in article.validators)
    assert (modified is not None) == ("last-modified" in article.validators)
    if etag:
        again = fetch(article.url, If_None_Match=etag)
        assert again.status == 304 and again.body == b"" and again.header("ETag") == etag
        assert fetch(article.url, If_None_Match='"something-else"').status == 200
    if modified:
        assert modified.endswith("GMT")
        assert fetch(article.url, If_Modified_Since=modified).status == 304
        assert fetch(article.url, If_Modified_Since="Sat, 01 Jan 2000 00:00:00 GMT").status == 200
    # A condition on a validator the publisher does not send is ignored.
    if not etag:
        assert fetch(article.url, If_None_Match='"any"').status == 200
    if not modified:
        assert fetch(article.url, If_Modified_Since="Fri, 01 Jan 2100 00:00:00 GMT").status == 200


def test_keep_alive_serves_many_requests_on_one_connection(web: SimWeb) -> None:
    p = publisher(web, "harbor-courier")
    conn = http.client.HTTPConnection(p.host, timeout=5)
    try:
        for path in ("/", "/world/", "/robots.txt", "/atom.xml", "/missing"):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.version == 11 and not resp.will_close
            assert int(resp.getheader("Content-Length") or -1) == len(body)
            sock = conn.sock
        conn.request("HEAD", "/")
        head = conn.getresponse()
        assert head.read() == b"" and int(head.getheader("Content-Length") or 0) > 0
        assert conn.sock is sock
    finally:
        conn.close()


def test_log_records_requests_with_the_hash_of_the_bytes_sent(web: SimWeb) -> None:
    agent = f"simweb-test/{uuid.uuid4()}"
    url = seed_url(web, "000") + "?utm_source=rss"
    zipped = fetch(url, User_Agent=agent, Accept_Encoding="gzip")
    plain = fetch(url, User_Agent=agent)
    head = fetch(url, "HEAD", User_Agent=agent)
    missing = fetch(f"{publisher(web, 'wirefront').base_url}nope", User_Agent=agent)
    entries = [e for e in web.log.entries() if e.user_agent == agent]
    assert [e.method for e in entries] == ["GET", "GET", "HEAD", "GET"]
    assert [e.status for e in entries] == [200, 200, 200, 404]
    assert [e.content_encoding for e in entries] == ["gzip", None, None, None]
    parts = urlsplit(url)
    assert entries[0].host == parts.netloc and entries[0].path == f"{parts.path}?{parts.query}"
    sent = [zipped.body, plain.body, head.body, missing.body]
    assert [e.body_sha256 for e in entries] == [hashlib.sha256(b).hexdigest() for b in sent]
    assert entries[0].time <= entries[1].time <= entries[3].time
    assert web.sent_body(url) == plain.body  # the last body sent; HEAD sends none
    assert web.log.paths_fetched(parts.netloc)[-3:] == [entries[0].path] * 3


def test_log_clear() -> None:
    with SimWeb() as sim:
        fetch(sim.publishers[0].base_url)
        assert len(sim.log.entries()) == 1 and sim.sent_body(sim.publishers[0].base_url)
        sim.log.clear()
        assert sim.log.entries() == [] and sim.sent_body(sim.publishers[0].base_url) is None


def test_sent_body_is_the_compressed_bytes_when_gzipped(web: SimWeb) -> None:
    url = publisher(web, "justice-dispatch").base_url + "world/"
    zipped = fetch(url, Accept_Encoding="gzip")
    assert zipped.header("Content-Encoding") == "gzip"
    assert web.sent_body(url) == zipped.body
    assert web.sent_body(url + "?never-requested") is None


def test_redirect(web: SimWeb) -> None:
    [(old, new)] = web.truth.redirects
    resp = fetch(old)
    assert resp.status == 301 and resp.header("Location") == new
    assert urlsplit(old).netloc == urlsplit(new).netloc
    target = fetch(new)
    assert target.status == 200 and f'<link rel="canonical" href="{new}">' in target.text


def test_non_html_page(web: SimWeb) -> None:
    [url] = web.truth.non_html_urls
    resp = fetch(url)
    assert resp.status == 200 and resp.header("Content-Type") == "application/pdf"
    assert resp.body.startswith(b"%PDF-1.4") and resp.body.rstrip().endswith(b"%%EOF")


def test_serving_is_quiet(web: SimWeb, capfd: pytest.CaptureFixture[str]) -> None:
    p = publisher(web, "continental-herald")
    for path in ("", "world/", "nope", "archive/?page=99"):
        fetch(p.base_url + path)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("br, *;q=0", False),
        ("*;q=0.1, gzip;q=0", False),
    ],
)
def test_accepts_gzip(header: str, allowed: bool) -> None:
    assert accepts_gzip(header) is allowed


def test_start_once_and_stop_releases_ports() -> None:
    sim = SimWeb()
    with pytest.raises(RuntimeError):
        sim.publishers  # noqa: B018 - not started yet
    with sim:
        base = sim.publishers[0].base_url
        assert fetch(base).status == 200
        with pytest.raises(RuntimeError):
            sim.start()
    with pytest.raises(OSError):
        fetch(base)
