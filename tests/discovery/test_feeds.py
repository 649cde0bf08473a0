import time
from datetime import date

import pytest

from crawler.discovery.feeds import FeedError, parse_feed
from crawler.simweb.hostile import billion_laughs

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Courier</title><link>http://127.0.0.1:9/</link>
<item><title>El Salvador offers jails</title><link>/world/el-salvador?utm_source=rss</link>
  <pubDate>Tue, 04 Feb 2025 10:00:00 GMT</pubDate><category>World</category></item>
<item><title>No date</title><link>http://127.0.0.1:9/b</link></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ledger</title><id>urn:x</id>
<updated>2025-02-05T00:00:00Z</updated>
<entry><title>Story</title><id>urn:1</id><link rel="alternate" href="http://127.0.0.1:9/s"/>
  <published>2025-03-02T23:30:00-05:00</published><updated>2025-03-03T08:00:00Z</updated></entry>
</feed>"""


def test_rss_items_with_dates_relative_links_and_categories() -> None:
    leads = parse_feed(RSS, "http://127.0.0.1:9/rss.xml", "application/rss+xml")
    assert [lead.url for lead in leads] == [
        "http://127.0.0.1:9/world/el-salvador?utm_source=rss",
        "http://127.0.0.1:9/b",
    ]
    assert leads[0].published == date(2025, 2, 4)
    assert leads[0].title == "El Salvador offers jails"
    assert leads[0].keywords == ("World",)
    assert leads[1].published is None


def test_atom_dates_are_taken_in_utc() -> None:
    (lead,) = parse_feed(ATOM, "http://127.0.0.1:9/atom.xml")
    assert lead.url == "http://127.0.0.1:9/s"
    assert lead.published == date(2025, 3, 3)  # 23:30 at -05:00 is the next day in UTC
    assert lead.modified == date(2025, 3, 3)


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b"\x00\x01 not xml at all <", "http://127.0.0.1:9/rss.xml")


def test_a_billion_laughs_feed_is_read_without_expanding_its_entities() -> None:
    item = (
        "<item><title>&lol9;</title><link>http://127.0.0.1:8001/a</link>"
        "<pubDate>Tue, 04 Feb 2025 10:00:00 +0000</pubDate></item>"
    )
    body = billion_laughs(
        f"<rss version='2.0'><channel><title>&lol9;</title>{item}</channel></rss>"
    )
    started = time.process_time()  # CPU time: a loaded machine stretches the wall-clock's
    leads = parse_feed(body, "http://127.0.0.1:8001/feed.xml", "application/rss+xml")
    assert time.process_time() - started < 1
    assert [lead.url for lead in leads] == ["http://127.0.0.1:8001/a"]
    assert len(leads[0].title or "") < 100


def test_descriptions_as_plain_text_full_text_first() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Courier</title><link>http://127.0.0.1:9/</link>
<item><link>http://127.0.0.1:9/a</link><description>A short &lt;b&gt;teaser&lt;/b&gt;.</description>
  <content:encoded><![CDATA[<p>The whole</p><p>article text.</p>]]></content:encoded></item>
<item><link>http://127.0.0.1:9/b</link><description>Only a   summary.</description></item>
<item><link>http://127.0.0.1:9/c</link></item>
</channel></rss>"""
    a, b, c = parse_feed(body, "http://127.0.0.1:9/rss.xml", "application/rss+xml")
    assert a.description == "The whole article text."
    assert b.description == "Only a summary."
    assert c.description is None
    assert b.hints()["description"] == "Only a summary."
    (atom,) = parse_feed(
        ATOM.replace(b"</entry>", b"<summary>An Atom summary.</summary></entry>"),
        "http://127.0.0.1:9/atom.xml",
    )
    assert atom.description == "An Atom summary."
