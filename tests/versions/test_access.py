"""A suspected wall is a wall when its text is cut against the last open version or the feed's
description; a page nothing suggests is a wall is never judged one, however much it lost."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from crawler.core.access import OPEN, AccessCheck, Evidence
from crawler.core.page import PageInput
from crawler.core.versioning import VersionRules
from crawler.extraction.access import check_access
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.versions.access import judge_access
from tests.extraction.pages import make_page

AEB = Path(__file__).parents[2] / "bench" / "data" / "aeb"
SUSPECT = AccessCheck("open", (Evidence("wall-text", "subscribe to continue reading"),), "paywall")
ARTICLE = " ".join(["word"] * 600)


def test_a_suspect_cut_against_the_last_open_version_is_the_wall() -> None:
    check = judge_access(SUSPECT, " ".join(["word"] * 120), previous=ARTICLE)
    assert check.access == "paywall"
    assert check.evidence[-1] == Evidence("truncated-vs-previous", "120 of 600 words")
    assert check.evidence[0] == SUSPECT.evidence[0]


def test_a_suspect_as_long_as_before_is_open() -> None:
    assert judge_access(SUSPECT, " ".join(["word"] * 590), previous=ARTICLE) == SUSPECT


def test_the_threshold_is_the_storys() -> None:
    text = " ".join(["word"] * 400)
    assert judge_access(SUSPECT, text, previous=ARTICLE).access == "open"
    strict = VersionRules(truncated_below=0.8)
    assert judge_access(SUSPECT, text, previous=ARTICLE, rules=strict).access == "paywall"


def test_a_page_nothing_suggests_is_a_wall_is_never_judged_one() -> None:
    """An article its editors cut to a tenth is a removal, an edit to record."""
    assert judge_access(OPEN, "word " * 10, previous=ARTICLE) is OPEN
    assert judge_access(OPEN, None, description=ARTICLE) is OPEN


def test_a_wall_stays_a_wall() -> None:
    consent = AccessCheck("consent", (Evidence("consent-text", "we value your privacy"),))
    assert judge_access(consent, ARTICLE, previous=ARTICLE) is consent


def test_against_the_feeds_description() -> None:
    summary = " ".join(["word"] * 40)
    # shorter than the feed's description: a full-text feed had more
    cut = judge_access(SUSPECT, " ".join(["word"] * 30), description=ARTICLE)
    assert cut.access == "paywall" and cut.evidence[-1].reason == "truncated-vs-feed"
    # a short text little longer than the summary: only the teaser
    assert judge_access(SUSPECT, " ".join(["word"] * 100), description=summary).access == "paywall"
    # a long text: an article with a subscribe box
    assert judge_access(SUSPECT, " ".join(["word"] * 400), description=summary) == SUSPECT
    # no previous text and no description: nothing to judge against
    assert judge_access(SUSPECT, "word " * 10) == SUSPECT


def test_a_real_article_cut_to_a_teaser_behind_an_offer() -> None:
    """A benchmark article, then the same page as a paywall serves it: its first two paragraphs
    and a subscription offer. The page alone only suspects it (a long teaser), the last open
    version settles it; the whole page again is open."""
    key = "2f42ef1d3ea0c96e56355d3db93d0e06b47e760b74f6f4261278b8cd1c246dd6"
    url = json.loads((AEB / "ground-truth.json").read_text())[key]["url"]
    html = gzip.decompress((AEB / "html" / f"{key}.html.gz").read_bytes()).decode()
    full = _page(html, url)
    before = extract(full, ExtractOptions())
    assert before.article is not None
    paragraphs = list(re.finditer(r"<p\b[^>]*>.*?</p>", html, re.DOTALL))
    long_ones = [p for p in paragraphs if len(p.group()) > 300]
    cut_from = long_ones[2].start()
    cut_to = long_ones[-1].end()
    offer = (
        '<div class="paywall-offer"><h2>Subscribe to continue reading</h2>'
        "<p>Get unlimited access for $1 a week.</p></div>"
    )
    walled = _page(html[:cut_from] + offer + html[cut_to:], url)
    after = extract(walled, ExtractOptions())
    assert after.article is not None
    page_only = check_access(walled, after)
    assert page_only.access == "open" and page_only.suspect == "paywall", page_only.reason
    judged = judge_access(page_only, after.article.text, previous=before.article.text)
    assert judged.access == "paywall", judged.reason
    again = check_access(full, before)
    assert judge_access(again, before.article.text, previous=before.article.text).access == "open"


def _page(html: str, url: str) -> PageInput:
    return make_page(html.encode(), url=url, content_type="text/html; charset=utf-8")
