"""The report page's HTML: every section, escaping, the chart's numbers, no external resources."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import lxml.html

from crawler.report.render import render_report, timeline_svg
from crawler.versions.diff import version_diff
from tests.report.sample import PUBLISHERS, sample_report


def test_every_section_is_there() -> None:
    html = render_report(sample_report())
    for heading in (
        "Coverage timeline",
        "Relevant articles",
        "Publishers",
        "Syndication clusters",
        "Most edited articles",
        "Extraction health",
    ):
        assert f"<h2>{heading}</h2>" in html
    tree = lxml.html.fromstring(html)
    assert tree.findtext(".//title") == "El Salvador & US prisoners: coverage report"


def test_text_from_pages_is_escaped() -> None:
    html = render_report(sample_report())
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Daily &lt;Example&gt;" in html


def test_no_resource_is_loaded_from_anywhere() -> None:
    tree = lxml.html.fromstring(render_report(sample_report()))
    assert not tree.xpath("//script | //img | //iframe | //link | //object | //embed")
    assert not tree.xpath("//@src")
    for style in tree.xpath("//style/text() | //@style"):
        assert "url(" not in style and "@import" not in style
    # the only links are to the archived articles, which a reader may follow, not loads
    assert {a.getparent().tag for a in tree.xpath("//@href")} == {"a"}


def test_chart_bars_add_up_to_the_relevant_articles() -> None:
    report = sample_report()
    relevant = [a for a in report.articles if a.relevant]
    svg = timeline_svg(relevant)
    bars = re.findall(r"<title>(.*?), ([0-9-]+): (\d+)</title>", svg)
    per_publisher = Counter()
    for publisher, _, n in bars:
        per_publisher[publisher] += int(n)
    expected = Counter(a.publisher.replace("<", "&lt;").replace(">", "&gt;") for a in relevant)
    assert per_publisher == expected
    days = {day for _, day, _ in bars}
    assert days == {a.day.isoformat() for a in relevant}


def test_long_spans_are_drawn_by_week() -> None:
    report = sample_report()
    spread = [
        a.__class__(
            a.url,
            a.publisher,
            a.title,
            a.published.replace(month=1 + i % 12) if a.published else None,
            a.first_seen,
            True,
            1,
        )
        for i, a in enumerate(report.articles)
    ]
    svg = timeline_svg(spread)
    assert "per week" in svg
    assert sum(int(n) for n in re.findall(r": (\d+)</title>", svg)) == len(spread)


def test_an_empty_story_still_renders() -> None:
    report = sample_report()
    empty = report.__class__(report.story, report.title, report.generated_at, (), (), (), ())
    html = render_report(empty)
    assert "No articles yet." in html
    assert "No article has changed" in html


def test_diffs_mark_removed_and_added_words() -> None:
    html = render_report(sample_report())
    assert "<del>100</del>" in html
    assert "<ins>300</ins>" in html and "&amp; more" in html


def test_a_headline_change_counts_and_shows() -> None:
    tree = lxml.html.fromstring(render_report(sample_report()))
    summary = tree.xpath("//h2[.='Most edited articles']/following-sibling::p[2]")[0]
    # text: 100 → 300 & more (2 added, 1 removed); title: prisons → CECOT (1 and 1)
    assert summary.text_content() == (
        "First to latest version: 3 words added, 2 words removed (headline changed)."
    )
    headline = tree.xpath("//p[@class='title-diff']")[0]
    assert headline.xpath("./del/text()") == ["prisons"]
    assert headline.xpath("./ins/text()") == ["CECOT"]


def test_a_long_diff_shows_its_changes_in_context() -> None:
    words = [f"w{i}" for i in range(2000)]
    old = " ".join(words)
    new = " ".join([*words[:1000], "CHANGED", *words[1001:]])
    report = sample_report()
    article = replace(report.edited[0], diff=version_diff("T", old, "T", new))
    tree = lxml.html.fromstring(render_report(replace(report, edited=(article,))))
    box = tree.xpath("//div[@class='diff']")[0]
    assert box.xpath("./del/text()") == ["w1000"] and box.xpath("./ins/text()") == ["CHANGED"]
    gaps = box.xpath("./span[@class='gap']/text()")
    assert gaps == [" [… 975 words unchanged …] ", " [… 974 words unchanged …] "]
    shown = box.text_content()
    assert "w975" in shown and "w999" in shown and "w1001" in shown and "w1025" in shown
    assert "w974 " not in shown and "w1026" not in shown
    assert len(shown.split()) < 80


def test_timeline_labels_carry_the_year() -> None:
    svg = timeline_svg(sample_report().articles)
    labels = re.findall(r"rotate\(-40 [^)]*\)\">([^<]+)<", svg)
    assert labels and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", label) for label in labels)


def test_a_drop_in_extraction_health_is_flagged() -> None:
    tree = lxml.html.fromstring(render_report(sample_report()))
    flagged = tree.xpath("//td[contains(@class, 'drop')]/text()")
    # text 80 % → 20 %, date 100 % → 50 %, author 88 % → 0 %; title stays at 100 %
    assert flagged == ["20 %", "50 %", "0 %"]
    assert PUBLISHERS[1] in tree.text_content()


def test_clusters_name_their_original() -> None:
    tree = lxml.html.fromstring(render_report(sample_report()))
    table = tree.xpath("//h2[.='Syndication clusters']/following-sibling::table[1]")[0]
    assert table.xpath(".//span[@class='original']/text()") == ["Daily <Example> (original)"]
    assert table.xpath(".//a/text()") == ["Wire <copy>", "http://127.0.0.1:8002/9"]


def test_links_go_to_the_archived_copy_not_the_live_site() -> None:
    from urllib.parse import parse_qs, urlsplit

    from crawler.report.links import DEFAULT_REPLAY

    report = sample_report()
    tree = lxml.html.fromstring(render_report(report))
    anchors = tree.xpath("//a[@href]")
    live = {a.url for a in report.articles} | {m.url for c in report.clusters for m in c.members}
    assert anchors
    prefix = DEFAULT_REPLAY.split("{", 1)[0]
    for anchor in anchors:
        href = anchor.get("href")
        assert href.startswith(prefix), href  # newsarchive serve's replay of the URL
        (url,) = parse_qs(urlsplit(href).query)["url"]
        assert url in live and anchor.get("title") == url  # the live URL only on hover
    # every section with articles links them: the relevant ones, the clusters, the edited
    linked = {parse_qs(urlsplit(a.get("href")).query)["url"][0] for a in anchors}
    assert {a.url for a in report.articles if a.relevant} <= linked
    assert {e.url for e in report.edited} <= linked


def test_a_replay_template_for_pywb() -> None:
    from crawler.report.links import ReplayLinks

    links = ReplayLinks("http://127.0.0.1:8080/story/{timestamp}/{raw_url}")
    report = sample_report()
    tree = lxml.html.fromstring(render_report(report, links))
    first = min(report.articles, key=lambda a: a.url if a.relevant else "~")
    hrefs = tree.xpath("//a/@href")
    stamp = first.first_seen.strftime("%Y%m%d%H%M%S")
    assert f"http://127.0.0.1:8080/story/{stamp}/{first.url}" in hrefs


def test_a_replay_template_is_checked() -> None:
    import pytest

    from crawler.report.links import check_template

    assert check_template("http://h/{timestamp}/{raw_url}")
    for bad, why in (
        ("http://h/", "must contain {url} or {raw_url}"),
        ("http://h/{when}/{url}", "unknown field {when}"),
        ("http://h/{url", "malformed"),
    ):
        with pytest.raises(ValueError, match=re.escape(why)):
            check_template(bad)
