"""Access from the page alone: is this capture the article, or a wall in its place?

`check_access(page, extraction)` runs where extraction runs (it is pure: the page, its
extraction, nothing else) and gives an `AccessCheck` (crawler/core/access.py). Its rules, in
this order, each one named in the evidence it returns:

1. **challenge**: the `cf-mitigated: challenge` header; a 429; or a page with no article prose
   that carries a bot-management service's challenge or block markup, or whose status (403, 503),
   title ("Just a moment...", "Attention Required! | Cloudflare"), text ("Verifying you are
   human") or server (`Server: cloudflare`, `CF-RAY`, AkamaiGHost, `X-DataDome`) says so; or a
   page that is nothing but a captcha.
2. **consent**: a page without a single line of article prose whose visible text is a consent
   notice (what only a consent dialog says: "We value your privacy", "Accept all"...), and whose
   extraction is no article or is the notice itself; or the dialog of a consent platform with no
   text at all (its notice in an iframe); never a listing (`LISTING_LINKS` links or more: a home
   or section page of headlines under a banner). Stricter than the other rules, because banners
   are on most pages, short articles among them.
3. **login** / **paywall**: a page with no article and no article prose that shows a wall's
   offer ("Subscribe to continue reading", "Log in to continue reading", "Il vous reste 80 % de
   cet article à lire"), or whose URL redirected to a log-in or subscription page, or a 401; or a
   short article (fewer than `SHORT_ARTICLE` words, or under half of the `wordCount` its JSON-LD
   states) whose JSON-LD says it is not free, whose not-free parts hold nothing of the article
   (missing, empty, or only the offer) and that shows an offer.

Anything else is `open`, but a page that shows an offer, a subscriber prompt or says it is not
free is `suspect`ed of a wall: whether it is one is decided against the last open version's text
or the feed's description (crawler/versions/access.py), since a teaser and a short article look
alike on their own.

*Article prose* is what tells an article with a consent banner, a subscribe box or a captcha on
its comment form (open) from a wall: the words of the visible lines of at least `PROSE_LINE`
words that are not the wall's own. It is measured on the page, not on the extraction, so that a
page trafilatura fails on but which holds its article is still open.
"""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from crawler.core.access import OPEN, AccessCheck, Evidence, Wall
from crawler.core.article import Extraction
from crawler.core.normalise import fold
from crawler.core.page import PageInput, decode_html
from crawler.extraction import wallwords as words
from crawler.extraction.pagesigns import (
    declaration,
    part_states,
    title_of,
    visible_lines,
)

SHORT_ARTICLE = 150
"""Words: an article shorter than this may be a wall's teaser."""
NO_PROSE = 120
"""Words of article prose below which a page shows no article."""
PROSE_LINE = 20
"""Words: a visible line this long is prose (a paragraph), not a menu item or a button."""
CAPTCHA_ONLY = 100
"""Visible words: a page with a captcha and fewer words is only the captcha."""
DECLARED_SHARE = 0.5
"""An article with less than this share of the `wordCount` its JSON-LD states is cut short."""
COMPLETE_SHARE = 0.8
"""A page whose prose has this share of the `wordCount` its JSON-LD states shows it whole."""
ENOUGH_PROSE = 200
"""Prose is counted up to this many words: every rule has its threshold below it."""
NOTICE_SHARE = 0.5
"""An extracted text with at least this share of its words in consent lines is the notice."""
LISTING_LINKS = 10
"""A page with this many links (`<a href>`) or more is a listing (a home or section page of
headlines) under a consent banner, not a consent interstitial: those link to a few pages (the
privacy policy, the vendors). Measured: the simulated web's home pages have 18 to 27 links and
a consent banner with no prose (before this rule four of five were judged consent walls), the
consent walls of tests/extraction/data/walls 3 at most, the simulated web's none."""


def check_access(page: PageInput, extraction: Extraction) -> AccessCheck:
    """What `page` shows, from the page alone (see the module docstring). It never raises: a
    page it cannot read is `open` with an 'error' evidence, as captures were before walls were
    told."""
    if (page.header("cf-mitigated") or "").strip().lower() == "challenge":
        return AccessCheck("challenge", (Evidence("cf-mitigated", "challenge"), _status(page)))
    if page.status == 429:
        return AccessCheck("challenge", (_status(page),))
    if page.status == 401:
        return AccessCheck("login", (_status(page),))
    if not page.is_html or not page.body.strip():
        return OPEN
    _, html = decode_html(page)
    root = _parse(html)
    if root is None:
        return OPEN
    try:
        signs = _Signs(page, html, root, extraction)
        return _challenge(signs) or _consent(signs) or _wall(signs)
    except Exception as exc:  # a bug or an exotic page: say so, judge the capture as before
        return AccessCheck("open", (Evidence("error", f"{type(exc).__name__}: {exc}"),))


def _parse(html: str) -> HtmlElement | None:
    """The page's tree: lxml's parser straight away, trafilatura's loader (which repairs
    broken markup and declarations lxml refuses in a string) when that fails."""
    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, etree.ParserError):
        tree = trafilatura.load_html(html)
        return tree if isinstance(tree, HtmlElement) else None


def _status(page: PageInput) -> Evidence:
    retry = page.header("Retry-After")
    return Evidence("status", f"{page.status}" + (f", Retry-After: {retry}" if retry else ""))


class _Signs:
    """Everything the rules read, taken from the page once, the costly parts when first asked."""

    def __init__(
        self, page: PageInput, html: str, root: HtmlElement, extraction: Extraction
    ) -> None:
        self.page = page
        self.html = html
        self.root = root
        body = root.find("body")
        self.lines = visible_lines(body if body is not None else root)
        self.prose = 0
        """Words of article prose (module docstring), counted up to `ENOUGH_PROSE`."""
        for line in self.lines:
            if line.words >= PROSE_LINE and not _walls_own(line.text):
                self.prose += line.words
                if self.prose >= ENOUGH_PROSE:
                    break
        article = extraction.article
        self.article_words = article.word_count if article else 0
        """Words of the extracted article (0 when there is none)."""
        self.article_text = article.text if article else ""
        self.declared = declaration(html)

    @cached_property
    def lowered(self) -> str:
        """The HTML, lower-cased: where markup is looked for (only on pages with no article
        prose: scanning a long page for every marker costs more than the rest together)."""
        return self.html.lower()

    @cached_property
    def all_prose(self) -> int:
        """Words of article prose, all of them."""
        return sum(
            line.words
            for line in self.lines
            if line.words >= PROSE_LINE and not _walls_own(line.text)
        )

    @cached_property
    def title(self) -> str:
        return title_of(self.root)

    @property
    def visible_words(self) -> int:
        return sum(line.words for line in self.lines)

    @property
    def bare(self) -> bool:
        """No article prose, and no article or a short one."""
        return self.prose < NO_PROSE and self.article_words < SHORT_ARTICLE

    def first(self, pattern: re.Pattern[str]) -> str | None:
        """The first visible text `pattern` finds, if any."""
        for line in self.lines:
            if match := pattern.search(line.text):
                return match.group()
        return None


def _walls_own(line: str) -> bool:
    """Whether a (folded) line is a wall's or a consent dialog's rather than the article's."""
    return any(
        pattern.search(line)
        for pattern in (
            words.CONSENT_LINE,
            words.PAYWALL_TEXT,
            words.LOGIN_TEXT,
            words.SUBSCRIBER_PROMPT,
            words.CHALLENGE_TEXT,
        )
    )


def _is_notice(text: str) -> bool:
    lines = [fold(line) for line in text.splitlines() if line.strip()]
    total = sum(len(line.split()) for line in lines)
    consent = sum(len(line.split()) for line in lines if _consent_line(line))
    notice = any(words.CONSENT_NOTICE.search(line) for line in lines)
    return notice and total > 0 and consent >= NOTICE_SHARE * total


def _consent_line(line: str) -> bool:
    return bool(words.CONSENT_LINE.search(line) or words.CONSENT_BUTTON.match(line))


def _challenge(signs: _Signs) -> AccessCheck | None:
    page = signs.page
    if not signs.bare or (page.status >= 500 and page.status not in words.CHALLENGE_STATUS):
        return None  # an article, or a server error (a bad gateway is no wall)
    markup = [n for n, m in words.CHALLENGE_MARKUP.items() if words.first_marker(signs.lowered, m)]
    title = words.CHALLENGE_TITLE.match(signs.title)
    text = signs.first(words.CHALLENGE_TEXT)
    error_page = words.first_marker(signs.lowered, words.CLOUDFLARE_ERROR_PAGE)
    captcha = words.first_marker(signs.lowered, words.CAPTCHA_WIDGET)
    server = _bot_manager(page)
    evidence = [Evidence("challenge-markup", name) for name in markup]
    evidence += _seen(
        ("challenge-title", signs.title if title else None),
        ("challenge-text", text),
        ("cloudflare-error-page", error_page),
        ("captcha", captcha),
        ("server", server),
    )
    blocked = page.status in words.CHALLENGE_STATUS
    if blocked:
        evidence.insert(0, _status(page))
    medium = bool(title or text or error_page)
    weak = bool(captcha or server)
    if (
        markup
        or (blocked and (medium or weak))
        or (medium and weak)
        or (captcha and signs.visible_words < CAPTCHA_ONLY)
    ):
        return AccessCheck("challenge", tuple(evidence))
    return None


def _seen(*found: tuple[str, str | None]) -> list[Evidence]:
    """Evidence for each (reason, detail) whose detail was found."""
    return [Evidence(reason, detail) for reason, detail in found if detail]


def _bot_manager(page: PageInput) -> str | None:
    """The bot-management service a response's headers name, if any."""
    server = (page.header("Server") or "").lower()
    if "cloudflare" in server or page.header("CF-RAY"):
        return "Cloudflare"
    if "akamaighost" in server:
        return "Akamai"
    if page.header("X-DataDome") or page.header("X-DD-B"):
        return "DataDome"
    return None


def _consent(signs: _Signs) -> AccessCheck | None:
    if signs.prose:
        return None  # a line of prose of its own: an article (perhaps short) under a banner
    if len(signs.root.xpath("//a[@href]")) >= LISTING_LINKS:
        return None  # a listing of headlines under a banner
    vendors = [n for n, m in words.CMP_MARKUP.items() if words.first_marker(signs.lowered, m)]
    notice = signs.first(words.CONSENT_NOTICE)
    if not (vendors or notice):
        return None
    evidence = [Evidence("cmp-markup", name) for name in vendors]
    is_notice = notice is not None and signs.article_words > 0 and _is_notice(signs.article_text)
    if notice and (signs.article_words == 0 or is_notice):
        evidence.append(Evidence("consent-text", notice))
        if is_notice:
            evidence.append(Evidence("text-is-notice", f"{signs.article_words} words"))
        return AccessCheck("consent", tuple(evidence))
    dialog = words.first_marker(signs.lowered, words.CMP_DIALOG)
    if dialog and signs.article_words == 0 and signs.visible_words < NO_PROSE // 2:
        evidence.append(Evidence("consent-dialog", f"{dialog}, no text of its own"))
        return AccessCheck("consent", tuple(evidence))
    return None


def _wall(signs: _Signs) -> AccessCheck:
    offer = signs.first(words.PAYWALL_TEXT)
    login = signs.first(words.LOGIN_TEXT)
    prompt = signs.first(words.SUBSCRIBER_PROMPT)
    redirect = _wall_redirect(signs.page)
    declared = signs.declared
    evidence = _seen(
        ("wall-text", offer),
        ("login-text", login),
        ("subscriber-prompt", prompt),
        (
            "not-free",
            (", ".join(declared.selectors) or "no parts named") if declared.not_free else None,
        ),
    )
    kind: Wall = "login" if login and not offer else "paywall"
    if redirect and not (offer or login):
        kind = redirect[0]
    if signs.article_words == 0 and signs.prose < NO_PROSE and (offer or login or redirect):
        if redirect:
            evidence.append(Evidence("redirected", redirect[1]))
        evidence.append(Evidence("no-article", f"{signs.prose} words of prose"))
        return AccessCheck(kind, tuple(evidence))
    stated = declared.word_count
    if stated and stated >= SHORT_ARTICLE and signs.all_prose >= COMPLETE_SHARE * stated:
        # The page shows the article's prose whole, whatever overlays it: nothing is withheld.
        evidence.append(Evidence("complete", f"{signs.all_prose} words of prose, {stated} stated"))
        return AccessCheck("open", tuple(evidence))
    if declared.not_free and (offer or login) and _cut_short(signs, evidence):
        return AccessCheck(kind, tuple(evidence))
    if offer or login or prompt or declared.not_free:
        return AccessCheck("open", tuple(evidence), suspect=kind)
    return OPEN


def _cut_short(signs: _Signs, evidence: list[Evidence]) -> bool:
    """Whether a not-free article is short and its not-free parts hold none of it (the
    evidence added when it is)."""
    declared = signs.declared
    stated = declared.word_count
    if stated and stated >= SHORT_ARTICLE:
        short = signs.article_words < DECLARED_SHARE * stated
    else:
        short = signs.article_words < SHORT_ARTICLE and signs.prose < SHORT_ARTICLE
    if not short:
        return False
    states = list(part_states(signs.root, declared.selectors, _OFFER))
    if not states or any(state == "text" for _, state, _ in states):
        return False
    evidence.append(Evidence("parts-withheld", ", ".join(f"{s} {st}" for s, st, _ in states)))
    detail = f"{signs.article_words} words" + (f" of {stated} stated" if stated else "")
    evidence.append(Evidence("short-text", detail))
    return True


_OFFER = re.compile(
    "|".join(p.pattern for p in (words.PAYWALL_TEXT, words.LOGIN_TEXT, words.SUBSCRIBER_PROMPT))
)


def _wall_redirect(page: PageInput) -> tuple[Wall, str] | None:
    """A redirect from the article's URL to a log-in or subscription page."""
    if page.final_url == page.url:
        return None
    try:
        path = urlsplit(page.final_url).path.lower()
    except ValueError:
        return None
    if words.LOGIN_PATH.search(path):
        return "login", page.final_url
    if words.PAYWALL_PATH.search(path):
        return "paywall", page.final_url
    return None
