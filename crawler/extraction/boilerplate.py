"""Boilerplate that trafilatura keeps: appeals, promotions, teasers and links to other stories
inside the article, the headline above it, syndication footers under it.

General rules, none tied to any site:

- An element whose class or id names a promotion or an appeal (promo, donate, contribute,
  subscribe, sign-up, support box…) is removed before extraction, unless it holds the
  page's headline or a whole article. News sites put such boxes inside the article container,
  where trafilatura's own filters (which know newsletters, sharing, ads) let them through.
  'paywall' is not such a word: sites mark the gated part of the story itself with it.
- An `<article>` inside another one, beside at least one more, holding less than half of the
  outer one's words, is the teaser of another story and is removed before extraction.
- A paragraph, list item or subheading of at least five words whose text is mostly (80 %) the
  labels of links ('Read more: …', 'Related: …', a list of other stories) is dropped from the
  text. Shorter ones (a product name, a web address) and those inside quotes are kept, and so
  is a subheading whose text a table of contents links to (the entry is the link, not it). A
  list item is one only when at least half its list's items are: a list of other stories is all
  headlines, a story's own list of links (show notes, sources) a mix of names and titles.
- A list of other stories ("More stories", "Read next": at least three items, each headed by a
  link to another page of the same site, with a short blurb) is dropped from the text: its
  headlines are links, which trafilatura leaves out, but a blurb long enough to look like prose
  would be kept.
- Trailing lines that are the footers of syndication and feed-aggregator plugins ("This post was
  originally published on …", "The post … appeared first on …", "Source link") are dropped from
  the end of the text. Only trailing lines: the same words inside a story are kept.
- An appeal to the reader (subscribe, sign up for the newsletter, donate, support us, become a
  member) is dropped from the text. What makes a block an appeal is what it is, not its class: a
  paragraph of at most 80 words, addressed to the reader (second person, or an imperative first
  word), that names a subscription, newsletter, donation or membership and links to such a page of
  the site itself. Quotes are kept, and so are links to other sites (an article about a streaming
  service telling readers how to subscribe to it).
- A first line that repeats the headline (the page's title or one of its `<h1>`) is dropped: the
  headline is stored as the title, and the text is the body under it.

Each rule was kept because it raised precision or recall on the article-extraction benchmark
(docs/benchmarks.md, `python -m bench extract-quality`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from crawler.extraction.structured import key

PROMOTION_WORDS = frozenset(
    {
        "appeal",
        "contribute",
        "contribution",
        "contributions",
        "donate",
        "donation",
        "donations",
        "promo",
        "promos",
        "promotion",
        "promotional",
        "signup",
        "subscribe",
        "subscription",
    }
)
"""Words that mark an element as a promotion wherever they occur in its class or id."""

SUPPORT_PAIRS = frozenset({"box", "banner", "us", "cta", "appeal", "module", "block"})
"""'support' marks an appeal only beside one of these ('support-box', 'support_us'): alone it
is too common (customer support pages, 'support' sections)."""

_SPLIT = re.compile(r"[^a-z0-9]+")
_MAY_PROMOTE = re.compile("|".join(sorted(PROMOTION_WORDS | {"support"})))
"""Found in the marks of every promotion: a cheap test that spares most elements the split."""
_CONTAINERS = frozenset({"div", "aside", "section", "p", "form", "figure", "span", "ul"})

SYNDICATION_FOOTER = re.compile(
    r"^(?:this (?:post|article|story) (?:was )?originally (?:published|appeared) (?:on|in)\b.*"
    r"|the post .+ appeared first on .+"
    r"|source link"
    r"|originally published (?:on|at|by)\b.*)$",
    re.IGNORECASE,
)


def _is_promotion(words: list[str]) -> bool:
    if PROMOTION_WORDS.intersection(words):
        return True
    return any(
        word == "support" and SUPPORT_PAIRS.intersection(words[max(i - 1, 0) : i + 2])
        for i, word in enumerate(words)
    )


def prune_promotions(tree: HtmlElement) -> int:
    """Remove promotion and appeal elements from `tree` in place; returns how many."""
    doomed = []
    for element in tree.iter(*_CONTAINERS):
        marks = f"{element.get('class', '')} {element.get('id', '')}".lower()
        if not _MAY_PROMOTE.search(marks) or not _is_promotion(
            [w for w in _SPLIT.split(marks) if w]
        ):
            continue
        if element.find(".//h1") is not None or element.find(".//article") is not None:
            continue
        doomed.append(element)
    for element in doomed:
        element.drop_tree()  # keeps the text that follows the element inside its parent
    return len(doomed)


TEASER_SHARE = 0.5
"""A teaser is a small part of the article around it: one holding at least this share of its
words is the body itself (a site's "reading" and "listening" tabs, each an `<article>`)."""


def _words(element: HtmlElement) -> int:
    return len(element.text_content().split())


def prune_teasers(tree: HtmlElement) -> int:
    """Remove the teasers of other stories inside an article; returns how many.

    A teaser is an `<article>` inside another `<article>` beside at least one more `<article>`
    (a list of them), without the page's headline, holding less than half the words of the
    article around it. One article alone inside another is kept: some sites wrap the body that
    way; so is one that is most of the article around it: the body in a tab beside another tab.
    """
    doomed = []
    for element in tree.iter("article"):
        outer = next(element.iterancestors("article"), None)
        if (
            outer is not None
            and sum(1 for sibling in element.itersiblings() if sibling.tag == "article")
            + sum(1 for sibling in element.itersiblings(preceding=True) if sibling.tag == "article")
            and element.find(".//h1") is None
            and _words(element) < TEASER_SHARE * _words(outer)
        ):
            doomed.append(element)
    for element in doomed:
        element.drop_tree()
    return len(doomed)


def strip_syndication_footer(text: str) -> str:
    """`text` without the syndication footers at its end."""
    lines = text.rstrip().split("\n")
    while lines and SYNDICATION_FOOTER.match(lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def strip_headline(text: str, headlines: Iterable[str | None]) -> str:
    """`text` without its first line when that line is one of `headlines` (case and spacing
    aside)."""
    first, _, rest = text.lstrip().partition("\n")
    wanted = {_plain(headline) for headline in headlines if headline}
    return rest.lstrip() if _plain(first) in wanted - {""} else text


def _plain(line: str) -> str:
    return " ".join(line.split()).casefold()


LINK_SHARE = 0.8
"""A block whose text is at least this share link labels is a link, not prose."""
LINK_BLOCK_MIN_WORDS = 5
"""Shorter link blocks are kept: a product name, a web address, a credit."""
_LINK_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6")
_LIST_MARK = re.compile(r"^[-*•]\s+")


def link_blocks(tree: HtmlElement) -> frozenset[str]:
    """The texts (spacing collapsed) of the paragraphs, list items and subheadings of `tree` that
    are nothing but a link to another page: 'Read more: …', 'Related: …', lists of other stories.

    They are found in the page but removed from the extracted text (`strip_link_blocks`) rather
    than from the tree: trafilatura judges containers by their share of link text, and a
    container of related stories stripped of its links would look like prose.
    """
    found = set()
    blocks: list[HtmlElement] = []
    for element in tree.iter(*_LINK_BLOCKS):
        if next(element.iter("a"), None) is None:
            continue  # no link, so not a link block: spares reading its text
        text = " ".join(element.text_content().split())
        if len(text.split()) < LINK_BLOCK_MIN_WORDS:
            continue
        linked = sum(len(" ".join(a.text_content().split())) for a in element.iter("a"))
        if linked < LINK_SHARE * len(text):
            continue
        if any(a.tag == "blockquote" for a in element.iterancestors()):
            continue  # quotes and embedded posts keep their links
        blocks.append(element)
    for element in _without_mixed_lists(blocks):
        pieces: list[str] = []
        _text_with_breaks(element, pieces)
        lines = "".join(pieces).split("\n")
        found.add(" ".join(" ".join(lines).split()))
        if len(lines) > 1:  # each line of it is a line of the text
            found.update(" ".join(line.split()) for line in lines)
    found.discard("")
    if found:
        # a table of contents links to the page's own subheadings: the subheading is the text
        found -= _unlinked_subheadings(tree)
    return frozenset(found)


LINK_LIST_SHARE = 0.5
"""A list item is a link block only when at least this share of its list's items are: a list of
other stories is all headlines, while the links of a story's own list (show notes, sources, a
link blog) are a mix of names, titles and text, of which only some look like headlines."""


def _without_mixed_lists(blocks: list[HtmlElement]) -> list[HtmlElement]:
    """`blocks` without the list items whose list is mostly items that are not link blocks."""
    lists: dict[HtmlElement, int] = {}
    for element in blocks:
        parent = element.getparent()
        if element.tag == "li" and parent is not None:
            lists[parent] = lists.get(parent, 0) + 1
    mixed = {
        parent
        for parent, count in lists.items()
        if count < LINK_LIST_SHARE * sum(1 for item in parent if item.tag == "li")
    }
    if not mixed:
        return blocks
    return [e for e in blocks if e.tag != "li" or e.getparent() not in mixed]


def _unlinked_subheadings(tree: HtmlElement) -> set[str]:
    """The texts (spacing collapsed) of the subheadings of `tree` that hold no link."""
    return {
        " ".join(element.text_content().split())
        for element in tree.iter("h2", "h3", "h4", "h5", "h6")
        if next(element.iter("a"), None) is None
    }


def _text_with_breaks(element: HtmlElement, pieces: list[str]) -> None:
    """The text of `element` in document order, a line break for each `<br>`, no comments."""
    if not isinstance(element.tag, str):
        return
    pieces.append("\n" if element.tag == "br" else element.text or "")
    for child in element:
        _text_with_breaks(child, pieces)
        pieces.append(child.tail or "")


def strip_link_blocks(text: str, blocks: frozenset[str]) -> str:
    """`text` without the lines that are one of the link `blocks` (list marks aside)."""
    if not blocks:
        return text
    kept = (
        line
        for line in text.split("\n")
        if _LIST_MARK.sub("", " ".join(line.split())) not in blocks
    )
    return "\n".join(kept)


APPEAL_MAX_WORDS = 80
_APPEAL_CALL = re.compile(
    r"\b(?:sign(?:ing)?[ -]up|subscri(?:be|bing|ption|ber)s?|newsletters?|donat(?:e|ion|ing)"
    r"|support (?:us|our|independent|quality|local)|your support"
    r"|become a (?:member|subscriber|supporter|patron)|in your inbox"
    r"|abonn\w*|abo|spende|spenden|unterstütz\w* (?:sie|uns)|mitglied werden"
    r"|werden sie mitglied|suscr[ií]b\w*|iscriviti|inscrivez)\b",
    re.IGNORECASE,
)
"""A call to subscribe, sign up, donate, support or join (English, German, French, Spanish,
Italian)."""
_READER = re.compile(
    r"\b(?:you|your|yours|sie|ihnen|ihre?|du|dich|dein\w*|vous|votre|tu|usted|jetzt)\b",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(
    r"^\W*(?:sign|subscribe|get|follow|check|click|support|donate|join|become|register|jetzt"
    r"|abonnieren|melden|hier|unterstützen|werden|abonnez|inscrivez|suscr[ií]bete|iscriviti)\b",
    re.IGNORECASE,
)
_APPEAL_HREF = re.compile(
    r"subscri|newsletter|abo|donat|spend|support|member|mitglied|sign-?up|register|join|plus"
    r"|inbox|mail|account|login|premium",
    re.IGNORECASE,
)
_QUOTE_MARKS = "\"\u201c\u201e\u00ab\u2018'"


def appeal_blocks(tree: HtmlElement, url: str | None) -> frozenset[str]:
    """The texts (as `structured.key` gives them) of the page's appeals to the reader to
    subscribe, sign up, donate or join: see the module's rules.

    Found from the links: each link to such a page of the site itself, then the innermost block
    around it (a paragraph, list item, subheading, or a box without paragraphs)."""
    site = _site(url or "")
    found = set()
    judged: set[HtmlElement] = set()
    for link in tree.iter("a"):
        if not _links_to_an_appeal(link.get("href") or "", url or "", site):
            continue
        block = _block_around(link)
        if block is None or block in judged:
            continue
        judged.add(block)
        text = " ".join(block.text_content().split())
        if not 3 <= len(text.split()) <= APPEAL_MAX_WORDS or text[:1] in _QUOTE_MARKS:
            continue
        if _APPEAL_CALL.search(text) and (_READER.search(text) or _IMPERATIVE.search(text)):
            found.add(key(text))
    found.discard("")
    return frozenset(found)


_PARAGRAPH_LIKE = frozenset({"p", "li", "h2", "h3", "h4"})
_BOXES = frozenset({"div", "span", "aside", "section"})


def _block_around(link: HtmlElement) -> HtmlElement | None:
    """The innermost paragraph-like element holding `link`, or the outermost box around it that
    holds no paragraph (None when the link sits in neither)."""
    box = None
    for ancestor in link.iterancestors():
        if ancestor.tag in _PARAGRAPH_LIKE:
            return ancestor
        if ancestor.tag in _BOXES:
            if ancestor.find(".//p") is not None:
                return box
            box = ancestor
        elif ancestor.tag in ("body", "article", "main"):
            return box
    return box


def _site(url: str) -> str:
    """The last two labels of `url`'s host ('' without one)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return ".".join(host.split(".")[-2:])


_APPEAL_HREF_LOWER = re.compile(_APPEAL_HREF.pattern)


def _names_an_appeal(href: str) -> bool:
    """`_APPEAL_HREF.search(href)`, several times faster on an ASCII href (most are): lower-cased
    and searched case-sensitively, which is the same test for ASCII."""
    if href.isascii():
        return _APPEAL_HREF_LOWER.search(href.lower()) is not None
    return _APPEAL_HREF.search(href) is not None


_RELATIVE = re.compile(r"(?![\s\x00-\x20]*[/\\]{2})[^:\t\r\n]*\Z")
"""An href with no scheme and no host (not `//host`, even after the spaces and control
characters that urlsplit strips, and no tab or line break, which it removes)."""


def _links_to_an_appeal(href: str, base: str, site: str) -> bool:
    if not _names_an_appeal(href):
        return False
    if site and _RELATIVE.match(href) and base.startswith(("http://", "https://")):
        return True  # no scheme, no host: a link within the site, as urljoin would say, cheaper
    try:
        target = _site(urljoin(base, href))
    except ValueError:
        return False
    return target == site


def strip_appeals(text: str, appeals: frozenset[str]) -> str:
    """`text` without the lines that are one of the page's `appeals`."""
    if not appeals:
        return text
    return "\n".join(line for line in text.split("\n") if key(line) not in appeals)


CREDIT_LINE = re.compile(
    r"""^(?:
    (?i:by|von|par|por|di|door|av|af)\s+[A-ZÄÖÜ][\w.'-]+(?:\s+[A-ZÄÖÜ][\w.'-]+){0,3}
      (?:\s*(?:,|and|und|&|et|y|e)\s*[A-ZÄÖÜ][\w.'-]+(?:\s+[A-ZÄÖÜ][\w.'-]+){0,3})*
      (?:\s*[,|/\u2013-]\s*[^.!?]{0,40})?
    | (?i:(?:additional\s+)?reporting|editing|writing|text|fotos?|photos?|redaktion|faktencheck
        |mitarbeit|grafik|recherche|kamera|schnitt|produktion|illustrations?|video)
      (?:\s*:\s*|\s+(?i:by|from|von)\s+)[A-ZÄÖÜ].{0,150}
    | (?i:dalla\s+nostra\s+(?:corrispondente|inviata|inviato)|from\s+our\s+correspondent)
    )$""",
    re.VERBOSE,
)
"""A credit: "By A and B", "Von A, Frankfurt", "Reporting by …; Editing by …", "Fotos: …",
"Redaktion: …", "Dalla nostra corrispondente"."""
CREDIT_EDGE = 3
"""Credits are looked for among this many lines at each end of the text: the byline above the
story, the reporting and photo credits under it. In the middle, such a line is the story's."""
CREDIT_MAX_WORDS = 25


def strip_credits(text: str) -> str:
    """`text` without the credit lines (bylines, reporting, editing and photo credits) among the
    first and last `CREDIT_EDGE` lines: who made the story, not the story."""
    lines = text.split("\n")
    last = len(lines) - CREDIT_EDGE
    kept = [
        line
        for index, line in enumerate(lines)
        if not (
            (index < CREDIT_EDGE or index >= last)
            and len(line.split()) <= CREDIT_MAX_WORDS
            and CREDIT_LINE.match(" ".join(line.split()))
        )
    ]
    return "\n".join(kept) if len(kept) < len(lines) else text


TEASER_LIST_MIN_ITEMS = 3
"""Fewer items with a linked headline are a few links in a story, not a list of other stories."""
TEASER_MAX_WORDS = 150
"""A longer item is a story of its own (a page of several), not the teaser of one."""
_SUBHEADINGS = ("h2", "h3", "h4", "h5", "h6")
_TEASER_PARTS = ("p", "a", *_SUBHEADINGS)
_ITEM_DEPTH = 5
"""A teaser's headline sits this many levels at most inside its item."""


def teaser_lists(tree: HtmlElement, url: str | None) -> frozenset[str]:
    """The texts (as `structured.key` gives them) of the teasers in the page's lists of other
    stories ("More stories", "Read next"): see `strip_teasers`.

    A teaser is an item of a list (an `li`, an `article`, or one of the siblings that share a
    tag and class) whose subheading is a link to another page of the same site, with at most
    `TEASER_MAX_WORDS` words and no `h1`; a list holds at least `TEASER_LIST_MIN_ITEMS` of them.
    trafilatura leaves the linked headline out but keeps the blurb under it when the blurb is
    long enough to look like prose. What makes it a teaser is its shape, not its class."""
    base = url or ""
    site = _site(base)
    lists: dict[HtmlElement, dict[HtmlElement, HtmlElement]] = {}
    for heading in tree.iter(*_SUBHEADINGS):
        links = [a for a in heading.iter("a") if _links_to_another_page(a, base, site)]
        if not links:
            continue
        text = " ".join(heading.text_content().split())
        linked = sum(len(" ".join(a.text_content().split())) for a in links)
        if not text or linked < LINK_SHARE * len(text):
            continue
        item = _item_around(heading)
        parent = None if item is None else item.getparent()
        if item is not None and parent is not None:
            lists.setdefault(parent, {}).setdefault(item, heading)
    found: set[str] = set()
    for items in lists.values():
        if len(items) < TEASER_LIST_MIN_ITEMS:
            continue
        for item, heading in items.items():
            text = " ".join(item.itertext())
            if len(text.split()) > TEASER_MAX_WORDS or item.find(".//h1") is not None:
                continue
            # the item as one line, with its headline or without it (trafilatura leaves the
            # link out), and each of its parts as a line
            found.add(key(text))
            found.add(key(" ".join(_itertext_outside(item, heading))))
            found.update(key(" ".join(part.itertext())) for part in item.iter(*_TEASER_PARTS))
    found.discard("")
    return frozenset(found)


def _itertext_outside(element: HtmlElement, skipped: HtmlElement) -> Iterator[str]:
    """The text pieces of `element` but those inside `skipped`, in document order."""
    if element is skipped or not isinstance(element.tag, str):
        return
    if element.text:
        yield element.text
    for child in element:
        yield from _itertext_outside(child, skipped)
        if child.tail:
            yield child.tail


def _links_to_another_page(link: HtmlElement, base: str, site: str) -> bool:
    """Whether `link` leads to another page of the site of `base` (not a fragment of this one)."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith("#") or href[:11].lower() in ("javascript:", "mailto:"):
        return False
    try:
        target = urljoin(base, href)
    except ValueError:
        return False
    if target.partition("#")[0] == base.partition("#")[0]:
        return False
    return not site or _site(target) == site


def _item_around(heading: HtmlElement) -> HtmlElement | None:
    """The item of a list that `heading` heads: its nearest `li` or `article`, or the nearest
    element beside at least `TEASER_LIST_MIN_ITEMS` - 1 siblings of the same tag and class."""
    for depth, ancestor in enumerate(heading.iterancestors()):
        if depth >= _ITEM_DEPTH or ancestor.tag in ("body", "main"):
            return None
        if ancestor.tag in ("li", "article"):
            return ancestor
        marks = ancestor.get("class")
        parent = ancestor.getparent()
        if marks and parent is not None:
            alike = sum(1 for s in parent if s.tag == ancestor.tag and s.get("class") == marks)
            if alike >= TEASER_LIST_MIN_ITEMS:
                return ancestor
    return None


def strip_teasers(text: str, teasers: frozenset[str]) -> str:
    """`text` without the lines that are one of the page's `teasers` (or a part of one)."""
    if not teasers:
        return text
    return "\n".join(line for line in text.split("\n") if key(line) not in teasers)
