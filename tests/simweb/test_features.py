"""All opt-in features at once: nothing they serve names a host off 127.0.0.1 (pages, walls,
requisites, the CDN, the archives' indexes, replays and WARC files, every round); they add to
the pages they name and to no other; and they are the same in every process."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from crawler.simweb import SimWeb
from tests.simweb.helpers import (
    Response,
    article_links,
    crawlable,
    fetch,
    is_html,
    page_links,
    polite_crawl,
    walk,
)
from tests.simweb.test_weight import IDENTIFIERS

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = re.compile(r"127\.0\.0\.1:\d+/")
SNAPSHOT = """
import sys
from crawler.simweb import SimWeb
with SimWeb(walls=True, edits=True, rights=True, requisites=True, archive=True) as web:
    for line in sys.modules["tests.simweb.test_features"].snapshot(web):
        print(line)
"""


def off_loopback(text: str) -> list[str]:
    """Every `//` in `text` that does not begin `http://127.0.0.1:PORT/` (JSON-escaped slashes
    included), in context; vocabulary URIs (XML namespaces, schema.org) excepted."""
    text = IDENTIFIERS.sub("", text.replace("\\/", "/"))
    return [
        text[max(0, m.start() - 30) : m.end() + 30]
        for m in re.finditer("//", text)
        if not (text.endswith("http:", 0, m.start()) and LOOPBACK.match(text, m.end()))
    ]


def body_text(resp: Response) -> str:
    body = resp.body
    if resp.header("Content-Encoding") == "gzip" or body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return body.decode("latin-1")


def everything(web: SimWeb) -> dict[str, Response]:
    """Every page of every publisher (links followed at any depth, every article, listings),
    what the article pages load, the CDN, and the archives: indexes, replays, data files."""
    truth = web.truth
    starts = [p.base_url for p in web.publishers]
    for publisher in web.publishers:
        starts += [publisher.base_url + "robots.txt", *publisher.feeds, *publisher.sitemaps]
    out = walk(starts + [a.url for a in truth.articles])
    assert truth.requisites is not None and truth.archive is not None
    for requisites in truth.requisites.pages.values():
        for item in requisites:
            if item.url not in out:
                out[item.url] = fetch(item.url)
    out[truth.requisites.cdn + "robots.txt"] = fetch(truth.requisites.cdn + "robots.txt")
    held = truth.archive
    for host in {urlsplit(c.url).netloc for c in held.captures}:
        for url in (
            f"{held.wayback}cdx/search/cdx?url={host}/*&output=json",
            f"{held.cc_index}{held.collection}-index?url={host}/*&output=json",
        ):
            out[url] = fetch(url)
    for capture in held.captures:
        if capture.archive == "wayback":
            url = f"{held.wayback}web/{capture.timestamp}id_/{capture.url}"
        else:
            url = held.cc_data + capture.filename
        out[url] = fetch(url)
    for url in (held.wayback + "robots.txt", held.cc_index + "collinfo.json"):
        out[url] = fetch(url)
    return out


def test_nothing_served_names_a_host_off_loopback(featured: SimWeb) -> None:
    """The walk test of test_sites, for the features, in every round: links stay on their own
    host, requisites come from the own host or the CDN, and no byte served (pages, stylesheets,
    scripts, headers, CDX rows, replayed captures, WARC records) names a host off 127.0.0.1."""
    assert featured.truth.requisites is not None
    cdn = urlsplit(featured.truth.requisites.cdn).netloc
    checked = 0
    for n in range(featured.truth.timeline.last_round + 1):
        featured.set_round(n)
        for url, resp in everything(featured).items():
            host = urlsplit(url).netloc
            if not (resp.header("Content-Type") or "").startswith(("image/", "font/")):
                assert off_loopback(body_text(resp)) == [], url
            for name, value in resp.headers:
                assert off_loopback(value) == [], (url, name, value)
            if is_html(resp) and any(url.startswith(p.base_url) for p in featured.publishers):
                for target in article_links(url, resp.text):
                    assert urlsplit(target).netloc == host, (url, target)
                for target in page_links(url, resp.text):
                    assert urlsplit(target).netloc in (host, cdn), (url, target)
            checked += 1
    featured.set_round(0)
    assert checked > 1500


def test_the_features_add_only_to_the_pages_they_name(web: SimWeb) -> None:
    """Walls, edits and the archive add articles; every other article's page is the default
    web's, byte for byte, in every round, and so is its history."""
    with SimWeb(walls=True, edits=True, archive=True) as extended:
        plain = {urlsplit(a.url).path: a.url for a in web.truth.articles}
        mine = {urlsplit(a.url).path: a.url for a in extended.truth.articles}
        assert set(plain) < set(mine)
        hosts = {urlsplit(plain[p]).netloc: urlsplit(mine[p]).netloc for p in plain}
        for n in range(extended.truth.timeline.last_round + 1):
            web.set_round(n)
            extended.set_round(n)
            for path, url in plain.items():
                theirs = fetch(url).body.replace(urlsplit(url).netloc.encode(), b"HOST")
                ours = fetch(mine[path]).body.replace(hosts[urlsplit(url).netloc].encode(), b"HOST")
                assert ours == theirs, (path, n)
        for path, url in plain.items():
            theirs = web.truth.timeline.history(url)
            ours = extended.truth.timeline.history(mine[path])
            assert (ours.versions, ours.restamped, ours.deleted) == (
                theirs.versions,
                theirs.restamped,
                theirs.deleted,
            )
        web.set_round(0)


def snapshot(web: SimWeb) -> list[str]:
    """Hashes of what the features serve, hosts replaced by their role."""
    truth = web.truth
    assert truth.archive is not None and truth.requisites is not None
    names = {p.host: p.slug for p in web.publishers}
    names[urlsplit(truth.requisites.cdn).netloc] = "cdn"
    for role in ("wayback", "cc_index", "cc_data"):
        names[urlsplit(getattr(truth.archive, role)).netloc] = role

    def plain(data: bytes) -> bytes:
        for host, role in names.items():
            data = data.replace(host.encode(), role.encode())
        return data

    lines = []
    for n in range(truth.timeline.last_round + 1):
        web.set_round(n)
        for article in truth.articles:
            digest = hashlib.sha256(plain(fetch(article.url).body)).hexdigest()
            lines.append(f"{n} {plain(article.url.encode()).decode()} {digest}")
    web.set_round(0)
    for capture in truth.archive.captures:
        record = json.dumps([capture.archive, capture.timestamp, capture.status, capture.mime])
        digest = hashlib.sha256(plain(capture.body)).hexdigest()
        lines.append(f"{plain(capture.url.encode()).decode()} {record} {digest}")
    return lines


def test_the_features_are_the_same_in_every_process(featured: SimWeb) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "11"}
    code = "import tests.simweb.test_features\n" + SNAPSHOT
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ours = snapshot(featured)
    assert len(ours) > 300 and result.stdout.splitlines() == ours


def test_a_polite_crawl_finds_what_the_truth_says(featured: SimWeb) -> None:
    """test_sites' polite crawl, on the featured web's round 0: the added articles are linked
    and listed as the truth says (walls included: a wall's page links nowhere), and the
    articles only the archives hold are beyond any crawl of the live sites."""
    featured.set_round(0)
    truth = featured.truth
    fetched = polite_crawl(featured)
    assert {a.url for a in truth.articles} & fetched == crawlable(truth)
    relevant = {a.url for a in truth.articles if a.on_topic and a.in_window}
    assert truth.archive is not None
    lost = {url for url, (first, _) in truth.archive.gone.items() if first == 0}
    assert relevant - fetched == set(truth.disallowed_urls) | lost
