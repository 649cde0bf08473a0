"""Scrapy's MetaRefreshMiddleware, reading only the head of the body.

Scrapy looks for `<meta http-equiv=refresh>` (and `<base href>`) in the first 4,096 characters of
`response.text`, which decodes the whole body first: on an article page nothing else in the
crawling process decodes it (the extraction worker reads the page from its WARC record), so that
was a whole-body decode per page for 4 kB of text. Here only enough bytes for those characters
are decoded, the same way (`w3lib.encoding.html_to_unicode` with the response's encoding), so the
text looked at, and so every decision, is the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from w3lib import html
from w3lib.encoding import html_to_unicode

HEAD_CHARS = 4096
"""Characters Scrapy reads for the meta refresh and the base URL (`response.text[0:4096]`)."""
HEAD_BYTES = 4 * HEAD_CHARS
"""Bytes that hold at least `HEAD_CHARS` characters in any encoding (4 bytes a character at most:
UTF-8, UTF-16 with surrogates, UTF-32)."""


def head_text(response: TextResponse) -> str:
    """`response.text[:HEAD_CHARS]`, decoding only the head of the body."""
    encoding = response.encoding
    if len(response.body) <= HEAD_BYTES:
        return response.text[:HEAD_CHARS]
    return html_to_unicode(f"charset={encoding}", response.body[:HEAD_BYTES])[1][:HEAD_CHARS]


def meta_refresh(
    response: TextResponse, ignore_tags: Iterable[str]
) -> tuple[None, None] | tuple[float, str]:
    """(interval, URL) of the page's meta refresh, as `scrapy.utils.response.get_meta_refresh`
    finds it, or (None, None)."""
    text = head_text(response)
    base = html.get_base_url(text, response.url, response.encoding)
    return html.get_meta_refresh(text, base, response.encoding, ignore_tags=ignore_tags)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """`METAREFRESH_*` settings as Scrapy's; only the head of the body is decoded."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if (
            request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if cast("float", interval) < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response
