"""The archived page replayed: the body of a capture's record, made safe to open beside the
browser's other pages and kept inside the archive.

What the server sent is read back from the WARC file (a revisit through the record that holds
its body) and decoded as a crawl decodes it. An HTML page then loses its scripts, frames,
embedded objects and event handlers, and every URL in it (links, images, stylesheets, `style`
attributes and elements) is made absolute and pointed at the archive: at the replay of its
latest capture when the URL is archived, at a "not archived" page for a link that is not, and
removed for a resource that is not, so the browser asks the live web for nothing. A banner at
the top says what the page is. A stylesheet's `url()`s are pointed the same way. The response
carries a Content-Security-Policy that allows nothing but this server, in case anything was
missed, and no script at all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

CSP = (
    "default-src 'self' data:; script-src 'none'; object-src 'none'; frame-src 'none'; "
    "base-uri 'none'; form-action 'none'; style-src 'self' 'unsafe-inline' data:"
)
"""Sent with every replayed body: scripts never run, and nothing loads from anywhere else."""
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""", re.IGNORECASE)
_CLEANER = Cleaner(
    scripts=True,
    javascript=False,  # it would drop stylesheets too; handlers and javascript: links go below
    comments=False,
    style=False,
    inline_style=False,
    links=False,
    meta=True,
    page_structure=False,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=False,
    annoying_tags=False,
    remove_unknown_tags=False,
    safe_attrs_only=False,
)
_DROPPED_ATTRIBUTES = ("srcset", "imagesrcset", "integrity", "ping", "action", "formaction")


@dataclass(frozen=True, slots=True)
class Banner:
    url: str
    fetched_at: datetime
    status: int
    article_href: str | None
    """Our page of the article the capture belongs to, if it is one."""


Resolver = Callable[[str], str | None]
"""Given an absolute URL, the archive's URL for it, or None when it is not archived."""


def is_html(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() in (
        "text/html",
        "application/xhtml+xml",
    )


def is_css(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() == "text/css"


def page_links(body: bytes, base_url: str) -> list[str]:
    """Every absolute http(s) URL the HTML page refers to (for one look-up of what is archived)."""
    document = _parse(body)
    if document is None:
        return []
    document.make_links_absolute(base_url, resolve_base_href=True, handle_failures="discard")
    return [link for _, _, link, _ in document.iterlinks() if _web(link)]


def css_links(body: str, base_url: str) -> list[str]:
    found = [urljoin(base_url, m.group(2).strip()) for m in _CSS_URL.finditer(body)]
    found += [urljoin(base_url, m.group(2).strip()) for m in _CSS_IMPORT.finditer(body)]
    return [url for url in found if _web(url)]


def rewrite_html(
    body: bytes,
    base_url: str,
    resolve: Resolver,
    not_archived: Callable[[str], str],
    banner: Banner,
) -> str:
    """The page, cleaned and with its URLs pointed into the archive, under `banner`."""
    document = _parse(body)
    if document is None:
        return _banner_html(banner) + "<p>(an empty page)</p>"
    fragments = [(e, e.get("href", "")) for e in document.iter("a") if e.get("href", "")[:1] == "#"]
    document.make_links_absolute(base_url, resolve_base_href=True, handle_failures="discard")
    for element, fragment in fragments:
        element.set("href", fragment)  # an anchor in the page stays one
    cleaned = _CLEANER.clean_html(document)
    for element in cleaned.iter(etree.Element):
        for name in list(element.attrib):
            if name in _DROPPED_ATTRIBUTES or name.lower().startswith("on"):
                del element.attrib[name]

    def replace(link: str) -> str | None:
        if link.startswith(("#", "data:")):
            return link
        if not _web(link):
            return None
        return resolve(link) or None

    for element, attribute, link, _ in list(cleaned.iterlinks()):
        if attribute is None or element.tag in ("style",):
            continue  # text links (CSS in <style>) are handled below
        target = replace(link)
        if target is None and element.tag in ("a", "area") and _web(link):
            target = not_archived(link)
        if target is None:
            element.attrib.pop(attribute, None)
        else:
            element.set(attribute, target)
    for style in cleaned.iter("style"):
        if style.text:
            style.text = rewrite_css(style.text, base_url, resolve)
    for element in cleaned.iter(etree.Element):
        if "style" in element.attrib:
            element.set("style", rewrite_css(element.get("style", ""), base_url, resolve))
    body_element = cleaned.find(".//body")
    banner_element = lxml.html.fragment_fromstring(_banner_html(banner))
    if body_element is not None:
        body_element.insert(0, banner_element)
    else:
        cleaned.insert(0, banner_element)
    page: str = lxml.html.tostring(cleaned, encoding="unicode")
    return "<!DOCTYPE html>\n" + page


def rewrite_css(css: str, base_url: str, resolve: Resolver) -> str:
    """A stylesheet with its `url()`s and `@import`s pointed into the archive (none when the
    resource is not archived)."""

    def url(match: re.Match[str]) -> str:
        target = urljoin(base_url, match.group(2).strip())
        if target.startswith("data:"):
            return match.group(0)
        found = resolve(target) if _web(target) else None
        return f'url("{found}")' if found else "url()"

    def imported(match: re.Match[str]) -> str:
        found = resolve(urljoin(base_url, match.group(2).strip()))
        return f'@import "{found}"' if found else "@import url()"

    return _CSS_IMPORT.sub(imported, _CSS_URL.sub(url, css))


def replay_href(url: str) -> str:
    return "/-/replay?url=" + quote(url, safe="")


def not_archived_href(url: str) -> str:
    return "/-/not-archived?url=" + quote(url, safe="")


def archived(known: dict[str, int]) -> Resolver:
    """A resolver for the URLs that `known` (URL → capture id) holds; a URL's #fragment is
    kept."""

    def resolve(url: str) -> str | None:
        bare, hash_, fragment = url.partition("#")
        found = known.get(url, known.get(bare))
        return None if found is None else f"/-/replay/{found}{hash_}{fragment}"

    return resolve


def _banner_html(banner: Banner) -> str:
    back = (
        f' · <a href="{html.escape(banner.article_href)}" style="color:#fff">the article in the '
        "archive</a>"
        if banner.article_href
        else ""
    )
    return (
        '<div id="newsarchive-banner" style="position:relative;z-index:2147483647;'
        "background:#222;color:#fff;font:14px/1.4 system-ui,sans-serif;padding:8px 12px;"
        'text-align:left">newsarchive: archived copy of '
        f"<code>{html.escape(banner.url)}</code>, captured "
        f"{banner.fetched_at:%Y-%m-%d %H:%M:%S} UTC (HTTP {banner.status}); links lead to "
        f'archived copies only · <a href="/" style="color:#fff">the archive</a>{back}</div>'
    )


def _parse(body: bytes) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None


def _web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")
