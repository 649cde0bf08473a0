"""A request's identity: two published forms of one URL are one request."""

from __future__ import annotations

from scrapy import Request

from crawler.core import meta
from crawler.identity import IdentityFingerprinter, identity_of

FEED = "http://h:1/story/a/?utm_source=RSS_Feed&utm_medium=RSS"
HOME = "http://h:1/story/a/?utm_medium=RSS&utm_source=RSS_Feed"
PLAIN = "http://h:1/story/a/"


def test_the_identity_travels_in_meta_and_falls_back_to_the_normalised_url() -> None:
    assert identity_of(Request(FEED, meta={meta.IDENTITY: PLAIN})) == PLAIN
    assert identity_of(Request(FEED)) == PLAIN
    assert identity_of(Request("http://h:1/x?b=1&a=2")) == "http://h:1/x?a=2&b=1"


def test_published_forms_of_one_url_share_a_fingerprint() -> None:
    prints = IdentityFingerprinter()
    feed = prints.fingerprint(Request(FEED, meta={meta.IDENTITY: PLAIN}))
    assert feed == prints.fingerprint(Request(HOME, meta={meta.IDENTITY: PLAIN}))
    assert feed == prints.fingerprint(Request(PLAIN))
    assert feed != prints.fingerprint(Request("http://h:1/story/b/?utm_source=RSS_Feed"))
    assert feed != prints.fingerprint(Request(FEED, method="POST", meta={meta.IDENTITY: PLAIN}))
