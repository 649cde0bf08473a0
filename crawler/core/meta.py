"""The `request.meta` keys newsarchive's components share, named once.

A request carries what discovery knew when it made it (`IDENTITY`, `SOURCE`, `VIA`, `FOLLOW`,
`HINTS`…), what the revisit policy attached (`PREVIOUS`) and what the WARC extension wrote
(`WARC_RECORD_ID`, `FETCHED_AT`, `UNCHANGED`). Components read and write them through these
names only, so that a misspelt key is a NameError and not a silent miss.
"""

from __future__ import annotations

IDENTITY = "identity"
"""The normalised URL (`crawler.core.urls.normalise_url`) the request stands for: its identity for
the duplicate filter, the frontier, outcomes and the database. The request itself goes to the URL
as the feed, sitemap or link published it (tracking parameters and all); a redirect's request gets
the identity of its own URL."""
SOURCE = "source"
"""host:port of the story source (publisher) the request was made for."""
VIA = "via"
"""How the URL was found: 'home', 'link', 'feed', 'sitemap', 'revisit'."""
FOLLOW = "follow"
"""Link depth left below this page (0: its links are not followed)."""
HINTS = "hints"
"""What the feed or sitemap said of the page (title, published, keywords): dict[str, str]."""
SITEMAP_CHAIN = "sitemap_chain"
"""The sitemap indexes above this sitemap, to refuse loops and bound nesting."""
PREVIOUS = "previous"
"""The URL's last capture that held a body (`crawler.core.revisit.PreviousCapture`)."""
UNCHANGED = "unchanged"
"""Set by the WARC extension when the answer was archived as a revisit: 'not-modified' (304) or
'identical' (same payload digest)."""
WARC_RECORD_ID = "warc_record_id"
"""WARC-Record-ID of the response (or revisit) record the WARC extension wrote."""
WARC_RECORD = "warc_record"
"""The response (or revisit) record the WARC extension wrote, as a `crawler.core.record.WarcRecord`
(WARC headers, HTTP head, payload as transferred): the page is read from it, as from any record
read back from the archive."""
FETCHED_AT = "fetched_at"
"""WARC-Date of that record, as a timezone-aware datetime."""
TRUNCATED = "warc_truncated"
"""Set by a component that cut a body short on purpose: the WARC-Truncated reason to write
("length" for a size limit), where Scrapy's flags would only say "unspecified"."""
DOWNLOAD_SLOT = "download_slot"
"""Scrapy's own key: one download slot per publisher, so politeness applies per source."""
REDIRECT_URLS = "redirect_urls"
"""Scrapy's own key: the URLs a redirect chain went through before this request."""
DONT_REDIRECT = "dont_redirect"
"""Scrapy's own key: a redirect reaches the callback instead of being followed (a revisit)."""
HANDLE_HTTPSTATUS_LIST = "handle_httpstatus_list"
"""Scrapy's own key: error statuses that reach the callback (a revisit's 304, 404, 410)."""
NOARCHIVE = "noarchive"
"""Set by the WARC extension when it did not archive a response because it asked not to be
(`[archive] noarchive = "obey"`): where it asked ('X-Robots-Tag: noarchive')."""
