"""Appeals, promotions, teasers, link blocks, the repeated headline and syndication footers are
dropped; the story around them is kept."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extraction import extract as extract_module
from crawler.extraction.boilerplate import (
    appeal_blocks,
    link_blocks,
    prune_promotions,
    prune_teasers,
    strip_appeals,
    strip_credits,
    strip_headline,
    strip_link_blocks,
    strip_syndication_footer,
    strip_teasers,
    teaser_lists,
)
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.structured import key
from tests.extraction.pages import ARTICLE_URL, make_page

STORY = " ".join(
    f"Paragraph {i} of the story tells what the minister said about the harbour plan and why "
    "the council voted against the second phase of the project on Tuesday evening."
    for i in range(8)
)


def page(inside: str, after: str = "") -> str:
    paragraphs = "".join(f"<p>{s}</p>" for s in STORY.split(". ") if s)
    return (
        "<html><head><title>Harbour plan</title></head><body><article><h1>Harbour plan</h1>"
        f"{inside}{paragraphs}{after}</article></body></html>"
    )


@pytest.mark.parametrize(
    "marks",
    [
        'class="support-box"',
        'class="promo"',
        'id="donate-panel"',
        'class="newsletter-signup"',
        'class="article__contribution-appeal"',
        'class="subscribe_cta"',
    ],
)
def test_appeal_boxes_inside_the_article_are_removed(marks: str) -> None:
    html = page(
        f"<div {marks}><h2>Your support helps us</h2><p>Give what you can today to "
        "keep independent journalism free for all our readers.</p></div>"
    )
    extraction = extract(make_page(html.encode()), ExtractOptions())
    assert extraction.article is not None
    assert "Your support helps us" not in extraction.article.text
    assert "Give what you can" not in extraction.article.text
    assert "Paragraph 7 of the story" in extraction.article.text


@pytest.mark.parametrize("marks", ['class="support"', 'class="supported-by"', 'id="promontory"'])
def test_words_that_only_look_alike_are_kept(marks: str) -> None:
    tree = lxml.html.fromstring(f"<html><body><div {marks}><p>Kept</p></div></body></html>")
    assert prune_promotions(tree) == 0
    assert "Kept" in tree.text_content()


def test_an_element_holding_the_headline_is_never_removed() -> None:
    tree = lxml.html.fromstring(
        '<html><body><div class="promo-layout"><h1>Title</h1><p>Body</p></div></body></html>'
    )
    assert prune_promotions(tree) == 0
    assert "Body" in tree.text_content()


def test_syndication_footers_are_dropped_only_at_the_end() -> None:
    text = (
        "This post was originally published on another site, the minister said.\n"
        "Second paragraph.\n"
        "This post was originally published on this site be sure to check out more.\n"
        "The post Harbour plan appeared first on Example News.\n"
        "Source link"
    )
    assert strip_syndication_footer(text) == (
        "This post was originally published on another site, the minister said.\nSecond paragraph."
    )
    assert strip_syndication_footer("Just a story.") == "Just a story."


def test_extraction_drops_a_trailing_footer() -> None:
    html = page("", '<p class="origin">This post was originally published on this site.</p>')
    extraction = extract(make_page(html.encode()), ExtractOptions())
    assert extraction.article is not None
    assert "originally published" not in extraction.article.text
    assert extraction.article.text.rstrip().endswith("Tuesday evening.")


def test_a_paywall_element_holds_the_story_and_is_kept() -> None:
    # sites mark the gated part of the body with 'paywall'; the appeal to pay has its own marks
    html = page('<div class="paywall"><p>The gated paragraph tells what happened next.</p></div>')
    extraction = extract(make_page(html.encode()), ExtractOptions())
    assert extraction.article is not None
    assert "The gated paragraph" in extraction.article.text


def test_the_headline_repeated_as_the_first_line_is_dropped() -> None:
    text = "  Harbour Plan\nThe council voted.\nHarbour plan"
    assert strip_headline(text, [None, "harbour  plan"]) == "The council voted.\nHarbour plan"
    assert strip_headline(text, ["Another headline", ""]) == text
    assert strip_headline("Harbour plan", ["Harbour plan"]) == ""


def test_extraction_leaves_the_headline_out_of_the_text() -> None:
    extraction = extract(make_page(page("").encode()), ExtractOptions())
    assert extraction.article is not None and extraction.article.title == "Harbour plan"
    assert extraction.article.text.startswith("Paragraph 0 of the story")


LINKS = (
    "<p>Read more: <a href='/a'>Minister resigns over the harbour plan vote in the council</a></p>"
    "<ul><li><a href='/b'>Council votes against the second phase</a></li>"
    "<li><a href='/c'>Three <b>things</b> to know about the harbour</a> [VIDEO]</li></ul>"
    "<p>Lines <a href='/d'>one</a><br><a href='/e'>Ferry timetable changes from Monday on</a></p>"
)


def test_link_blocks_are_paragraphs_and_items_that_are_all_link() -> None:
    tree = lxml.html.fromstring(
        f"<html><body>{LINKS}<p>The minister <a href='/m'>said on Tuesday</a> that the plan "
        "would go ahead.</p><p><a href='/s'>Short link</a></p>"
        "<blockquote><p><a href='/q'>A quoted post that is only a link</a></p></blockquote>"
        "</body></html>"
    )
    assert link_blocks(tree) == {
        "Read more: Minister resigns over the harbour plan vote in the council",
        "Council votes against the second phase",
        "Three things to know about the harbour [VIDEO]",
        "Lines one Ferry timetable changes from Monday on",
        "Lines one",
        "Ferry timetable changes from Monday on",
    }


def test_links_in_a_list_of_mixed_items_are_the_story_s_own() -> None:
    # show notes: names, titles and a few long titles, all links; only a list of other stories
    # is all headlines
    notes = "".join(f"<li><a href='/w/{n}'>{n}</a></li>" for n in ("Borg", "Data", "Hugh", "Q"))
    tree = lxml.html.fromstring(
        f"<html><body><ul>{notes}<li><a href='/e/64'>Episode 64: the crew of the Discovery</a>"
        "</li></ul><ul><li><a href='/b'>Council votes against the second phase</a></li>"
        "<li><a href='/c'>Three things to know about the harbour</a></li>"
        "<li><a href='/d'>Harbour</a></li></ul></body></html>"
    )
    assert link_blocks(tree) == {
        "Council votes against the second phase",
        "Three things to know about the harbour",
    }


def test_link_blocks_leave_the_text_by_whole_lines() -> None:
    blocks = frozenset({"Council votes against the second phase"})
    text = "The vote.\n- Council votes against the second phase\nCouncil votes against it."
    assert strip_link_blocks(text, blocks) == "The vote.\nCouncil votes against it."


def test_extraction_drops_links_to_other_stories_inside_the_body() -> None:
    html = page("", LINKS)
    extraction = extract(make_page(html.encode()), ExtractOptions())
    assert extraction.article is not None
    for words in ("Minister resigns", "Council votes", "Three things", "Ferry timetable"):
        assert words not in extraction.article.text
    assert "Paragraph 7 of the story" in extraction.article.text


TEASER = "<article class='teaser'><h2>Other story {0}</h2><p>{1}</p></article>"


def test_teasers_inside_an_article_are_removed_but_a_lone_inner_article_is_kept() -> None:
    teasers = "".join(TEASER.format(i, "A teaser of another story.") for i in range(2))
    tree = lxml.html.fromstring(
        "<html><body><article><h1>Title</h1><p>Body of the story, told at some length here.</p>"
        f"{teasers}</article>"
        "<article><article><p>Wrapped body</p></article></article></body></html>"
    )
    assert prune_teasers(tree) == 2
    assert "Other story" not in tree.text_content()
    assert "Wrapped body" in tree.text_content() and "Body" in tree.text_content()


def test_an_inner_article_that_is_most_of_the_outer_one_is_the_body_not_a_teaser() -> None:
    # as on krautreporter.de: the story and its audio player, each an <article> in a tab
    body = "".join(f"<p>Paragraph {i} of the story, long enough to be read.</p>" for i in range(9))
    tree = lxml.html.fromstring(
        "<html><body><article><h1>Title</h1><section>"
        f"<article class='reading'>{body}</article>"
        "<article class='listening'><p>Listen on the app</p></article>"
        "</section></article></body></html>"
    )
    assert prune_teasers(tree) == 1
    assert "Paragraph 8 of the story" in tree.text_content()
    assert "Listen on the app" not in tree.text_content()


def test_extraction_leaves_out_teasers_of_other_stories() -> None:
    teasers = "".join(TEASER.format(i, STORY.replace("harbour", f"river {i}")) for i in range(3))
    extraction = extract(make_page(page("", teasers).encode()), ExtractOptions())
    assert extraction.article is not None
    assert "river" not in extraction.article.text
    assert "Paragraph 7 of the story" in extraction.article.text


def more_stories(count: int, href: str = "/news/{0}") -> str:
    """A list of other stories: each a linked headline over a blurb long enough to be prose."""
    items = "".join(
        f"<li><div class='card'><span>News</span><h4><a href='{href.format(i)}'>Other story {i}"
        f"</a></h4><p>{blurb(i)}</p></div></li>"
        for i in range(count)
    )
    return f"<h3>More stories</h3><ul class='stream'>{items}</ul>"


def blurb(i: int) -> str:
    return " ".join(f"{s.replace('harbour', f'river {i}')}." for s in STORY.split(". ")[i : i + 2])


def test_teaser_lists_are_items_with_a_headline_linking_to_another_page_of_the_site() -> None:
    tree = lxml.html.fromstring(page("", more_stories(3)))
    teasers = teaser_lists(tree, ARTICLE_URL)
    assert key("Other story 2") in teasers and key("News") not in teasers  # not a part
    text = f"Paragraph 0 of the story.\n{blurb(1)}\nThe end."
    assert strip_teasers(text, teasers) == "Paragraph 0 of the story.\nThe end."
    # two items are a few links, not a list; links to another site are sources, not teasers
    assert teaser_lists(lxml.html.fromstring(page("", more_stories(2))), ARTICLE_URL) == set()
    elsewhere = more_stories(3, "https://other.example/{0}")
    assert teaser_lists(lxml.html.fromstring(page("", elsewhere)), ARTICLE_URL) == set()
    # the page's own subheadings linking to their anchors are not teasers
    anchors = more_stories(3, "#part-{0}")
    assert teaser_lists(lxml.html.fromstring(page("", anchors)), ARTICLE_URL) == set()


def test_extraction_leaves_out_the_blurbs_of_a_list_of_other_stories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html = page("", more_stories(3)).encode()
    article = extract(make_page(html), ExtractOptions()).article
    assert article is not None
    assert "river" not in article.text
    assert "Paragraph 7 of the story" in article.text
    # trafilatura keeps the blurbs: the rule is what drops them
    monkeypatch.setattr(extract_module, "teaser_lists", lambda tree, url: frozenset())
    kept = extract(make_page(html), ExtractOptions()).article
    assert kept is not None and "river 1" in kept.text


APPEAL = "Get the harbour news in your inbox every morning: sign up for our free newsletter today."


def appeal_linking(href: str, before: str = "", after: str = "") -> str:
    linked = APPEAL.replace("sign up", f"<a href='{href}'>sign up</a>")
    return f"<p>{before}{linked}{after}</p>"


@pytest.mark.parametrize(
    "appeal",
    [
        appeal_linking("/newsletter/signup"),
        "<p>Hat Ihnen dieser Artikel gefallen? Dann unterstützen Sie uns bitte mit einer Spende, "
        'oder <a href="https://www.harbourtimes.example/mitglied">werden Sie Mitglied</a>.</p>',
        '<p>Subscribe to the Morning Review <a href="https://subscribe.harbourtimes.example/">'
        "newsletter</a> and never miss a story.</p>",
    ],
)
def test_appeals_to_the_reader_linking_to_the_site_are_dropped(appeal: str) -> None:
    # no class names: what the paragraph says and where it links make it an appeal
    extraction = extract(make_page(page(appeal).encode()), ExtractOptions())
    assert extraction.article is not None
    text = extraction.article.text
    assert "newsletter" not in text.lower() and "Spende" not in text
    assert "Paragraph 7 of the story" in text


@pytest.mark.parametrize(
    "kept",
    [
        # a link to another site's sign-up: an article telling readers how to subscribe to it
        appeal_linking("https://www.streamer.example/signup"),
        # a quote
        appeal_linking("/newsletter", before="\u201c", after="\u201d she said."),
        # no link at all
        f"<p>{APPEAL}</p>",
        # not addressed to the reader
        '<p>The council voted to <a href="/subscriptions">raise subscription fees</a> for the '
        "harbour car park by ten percent.</p>",
    ],
)
def test_what_only_looks_like_an_appeal_is_kept(kept: str) -> None:
    tree = lxml.html.fromstring(page(kept))
    assert appeal_blocks(tree, ARTICLE_URL) == frozenset()


def test_strip_appeals_drops_only_matching_lines() -> None:
    appeals = frozenset({key(APPEAL)})
    assert strip_appeals(f"Story.\n{APPEAL}\nMore story.", appeals) == "Story.\nMore story."
    assert strip_appeals("Story.", frozenset()) == "Story."


BODY = [f"Line {i} of the story, told in a sentence of its own." for i in range(8)]


@pytest.mark.parametrize(
    "credit",
    [
        "By Takeo Maeda and Tatsuya Tanoue / Yomiuri Shimbun Staff Writers",
        "Von Anna Sleegers, Frankfurt",
        "von Engin Haupt, MDR SACHSEN-ANHALT",
        "Reporting by Maya Gebeilly in Beirut; Editing by Daniel Flynn",
        "Additional reporting from PA",
        "Redaktion: Marcus Bensmann, Elena Müller",
        "Fotos: Berliner Feuerwehr",
        "DALLA NOSTRA CORRISPONDENTE",
    ],
)
def test_credit_lines_at_either_end_of_the_text_are_dropped(credit: str) -> None:
    assert strip_credits("\n".join([credit, *BODY])) == "\n".join(BODY)
    assert strip_credits("\n".join([*BODY, credit])) == "\n".join(BODY)
    # in the middle of the story, the same line is the story's
    middle = "\n".join([*BODY[:4], credit, *BODY[4:]])
    assert strip_credits(middle) == middle


@pytest.mark.parametrize(
    "line",
    [
        "By Monday, the storm had passed.",
        "By the way, nobody asked.",
        "Di Maio said so",
        "Video Shows Dramatic Rescue of Kidnapped Girl",
        "Photos of the flood were shared widely on Tuesday.",
    ],
)
def test_lines_that_only_start_like_a_credit_are_kept(line: str) -> None:
    text = "\n".join([line, *BODY])
    assert strip_credits(text) == text
