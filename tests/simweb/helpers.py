"""Test helpers: raw HTTP fetches, link extraction, the story's match rule, a polite crawl."""

from __future__ import annotations

import gzip
import html as htmllib
import http.client
import re
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import date
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import feedparser
from lxml import etree, html

from crawler.simweb import History, SimWeb, Truth, Version
from crawler.simweb.timeline import LAST_ROUND

SINCE, UNTIL = date(2025, 2, 1), date(2025, 2, 28)
ROUNDS = range(LAST_ROUND + 2)
"""Every round that changes something, and one that changes nothing."""
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    """Exactly as received (still gzip-compressed if the server compressed it)."""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self) -> str:
        body = (
            gzip.decompress(self.body) if self.header("Content-Encoding") == "gzip" else self.body
        )
        return body.decode("utf-8")


Snapshots = list[dict[str, Response]]
"""URL -> response, by round."""


def fetch(url: str, method: str = "GET", **headers: str) -> Response:
    """One request on a fresh connection; redirects are not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        resp = conn.getresponse()
        return Response(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def is_html(resp: Response) -> bool:
    return resp.status == 200 and (resp.header("Content-Type") or "").startswith("text/html")


def html_pages(pages: dict[str, Response]) -> list[tuple[str, Response]]:
    return [(url, r) for url, r in pages.items() if is_html(r)]


def untracked(url: str) -> str:
    """`url` without utm_* parameters, as a crawler normalises feed links."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("utm_"))
    return parts._replace(query=query).geturl()


def walk(starts: list[str]) -> dict[str, Response]:
    """Every URL of `starts` and every page they link to on their own host, at any depth
    (robots.txt ignored, redirects not followed)."""
    out: dict[str, Response] = {}
    queue = deque(starts)
    while queue:
        url = queue.popleft()
        if url in out:
            continue
        out[url] = resp = fetch(url)
        if is_html(resp):
            host = urlsplit(url).netloc
            queue.extend(u for u in article_links(url, resp.text) if urlsplit(u).netloc == host)
    return out


def serves_version(page: str, history: History, version: Version) -> list[str]:
    """What is wrong with `page` as the page of `version`: its paragraphs that are missing, and
    the paragraphs of its other versions that are there."""
    wrong = [p for p in version.paragraphs if htmllib.escape(p, quote=False) not in page]
    for other in history.versions:
        for paragraph in set(other.paragraphs) - set(version.paragraphs):
            if htmllib.escape(paragraph, quote=False) in page:
                wrong.append(paragraph)
    return wrong


def crawlable(truth: Truth) -> set[str]:
    """The articles a polite crawl of round 0 fetches: linked within `follow` and allowed, or
    listed with a date in the window."""
    listings = {"feed", "sitemap", "robots-sitemap"}
    return {
        a.url
        for a in truth.articles
        if (a.linked and a.url not in truth.disallowed_urls)
        or (a.listed_in & listings and a.in_window)
    }


def page_links(url: str, text: str) -> list[str]:
    """Every URL an HTML page points at (href, src, action), resolved."""
    doc = html.fromstring(text)
    values = doc.xpath("//@href | //@src | //@action")
    return [urldefrag(urljoin(url, str(value)))[0] for value in values]


def article_links(url: str, text: str) -> list[str]:
    """The `<a href>` targets of a page, resolved, fragments dropped."""
    doc = html.fromstring(text)
    return [urldefrag(urljoin(url, str(href)))[0] for href in doc.xpath("//a/@href")]


def _tokens(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


def has_term(text: str, term: str) -> bool:
    """docs/story-file.md's term rule: whole words, `*` for a prefix, case and accents ignored."""
    tokens = _tokens(text)
    words = _tokens(term)
    prefix = term.endswith("*")
    for start in range(len(tokens) - len(words) + 1):
        window = tokens[start : start + len(words)]
        if window[:-1] == words[:-1] and (
            window[-1].startswith(words[-1]) if prefix else window[-1] == words[-1]
        ):
            return True
    return False


def on_topic(text: str) -> bool:
    """The demo story's rule: all=["El Salvador"], any=["prison*", "jail*", "CECOT"]."""
    return has_term(text, "El Salvador") and any(
        has_term(text, t) for t in ("prison*", "jail*", "CECOT")
    )


def feed_dates(url: str) -> dict[str, date]:
    """Entry link -> publication date (UTC) of an RSS or Atom feed."""
    parsed = feedparser.parse(fetch(url).body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.link: date(*e.published_parsed[:3]) for e in parsed.entries}


def feed_entries(url: str) -> dict[str, str]:
    """Entry link (tracking parameters removed) -> its summary, of an RSS or Atom feed."""
    parsed = feedparser.parse(fetch(url).body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {untracked(e.link): e.summary for e in parsed.entries}


def sitemap_dates(url: str) -> dict[str, tuple[date | None, date | None]]:
    """loc -> (news publication date, lastmod date) for a sitemap or index, children included."""
    body = fetch(url).body
    root = etree.fromstring(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
    out: dict[str, tuple[date | None, date | None]] = {}
    if root.tag == f"{SITEMAP}sitemapindex":
        for loc in root.iter(f"{SITEMAP}loc"):
            out.update(sitemap_dates(loc.text))
        return out
    for node in root.iter(f"{SITEMAP}url"):
        news = node.findtext(f"{NEWS}news/{NEWS}publication_date")
        lastmod = node.findtext(f"{SITEMAP}lastmod")
        out[node.findtext(f"{SITEMAP}loc")] = (
            date.fromisoformat(news[:10]) if news else None,
            date.fromisoformat(lastmod[:10]) if lastmod else None,
        )
    return out


def polite_crawl(web: SimWeb) -> set[str]:
    """What a polite, date-filtering crawler of the story file fetches: pages reached by links to
    each source's `follow` depth (robots.txt obeyed, redirects followed, counting no depth), plus
    feed and sitemap entries not dated outside the window. Returns the final URLs fetched."""
    fetched: set[str] = set()
    for publisher in web.publishers:
        if publisher.host == web.truth.failing_host:
            continue
        robots = RobotFileParser()
        robots.parse(fetch(publisher.base_url + "robots.txt").text.splitlines())
        leads: list[str] = []
        for feed in publisher.feeds:
            leads += [untracked(u) for u, day in feed_dates(feed).items() if SINCE <= day <= UNTIL]
        for sitemap in [*publisher.sitemaps, *(robots.site_maps() or [])]:
            for loc, (published, lastmod) in sitemap_dates(sitemap).items():
                if published and not SINCE <= published <= UNTIL:
                    continue
                if lastmod and lastmod < SINCE:
                    continue
                leads.append(loc)
        queue = deque([(publisher.base_url, publisher.follow), *((u, 0) for u in leads)])
        seen = {u for u, _ in queue}
        while queue:
            url, follow = queue.popleft()
            if not robots.can_fetch("newsarchive", url):
                continue
            resp = fetch(url)
            while resp.status == 301:
                url = urljoin(url, resp.header("Location") or "")
                resp = fetch(url)
            fetched.add(url)
            if follow <= 0 or not (resp.header("Content-Type") or "").startswith("text/html"):
                continue
            for link in article_links(url, resp.text):
                if urlsplit(link).netloc == publisher.host and link not in seen:
                    seen.add(link)
                    queue.append((link, follow - 1))
    return fetched
