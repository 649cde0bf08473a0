"""Rights signals: article pages that ask not to be archived (`SimWeb(rights=True)`).

A few off-topic articles carry `noarchive` in each form a crawler meets: the `X-Robots-Tag`
header plain (`noarchive`), addressed to us (`newsarchive: noarchive`) and addressed to another
crawler (`otherbot: noarchive`, which does not apply to us), and the `<meta name="robots">` and
`<meta name="newsarchive">` tags (and one `<meta name="otherbot">`, which does not apply either).
The articles are fillers every web has, chosen by key, so the flag adds no article.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from crawler.simweb.plan import Placed
from crawler.simweb.sites import Headers
from crawler.simweb.templates import attr

USER_AGENT_TOKEN = "newsarchive"
"""The product token a signal names when it is addressed to this crawler."""

Form = Literal[
    "header", "header-user-agent", "header-other-agent", "meta", "meta-user-agent",
    "meta-other-agent",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class RightsCase:
    key: str
    """The article (`Text.key` of a filler)."""
    form: Form
    value: str
    """The header's value, or the meta tag's content."""
    meta_name: str = ""

    @property
    def applies(self) -> bool:
        """Whether it forbids newsarchive to archive the page."""
        return not self.form.endswith("other-agent")


CASES = (
    RightsCase("ledgerline-1", "header", "noarchive"),
    RightsCase("harbor-courier-2", "header-user-agent", f"{USER_AGENT_TOKEN}: noarchive"),
    RightsCase("wirefront-3", "header-other-agent", "otherbot: noarchive"),
    RightsCase("justice-dispatch-4", "meta", "noarchive", "robots"),
    RightsCase("ledgerline-6", "meta", "noindex, noarchive", "robots"),
    RightsCase("continental-herald-5", "meta-user-agent", "noarchive", USER_AGENT_TOKEN),
    RightsCase("harbor-courier-7", "meta-other-agent", "noarchive", "otherbot"),
)
_BY_KEY = {case.key: case for case in CASES}


@dataclass(frozen=True, slots=True)
class RightsSignal:
    """A page's rights signal, as ground truth."""

    url: str
    form: Form
    where: Literal["header", "meta"]
    name: str
    """'X-Robots-Tag', or the meta tag's name ('robots', 'newsarchive', 'otherbot')."""
    value: str
    applies: bool


def decorate(article: Placed, html: str) -> tuple[str, Headers]:
    """The article page with its rights signal, if it has one (a `Site` decorator)."""
    case = _BY_KEY.get(article.text.key)
    if case is None:
        return html, ()
    if case.form.startswith("header"):
        return html, (("X-Robots-Tag", case.value),)
    tag = f'<meta name="{attr(case.meta_name)}" content="{attr(case.value)}">'
    return html.replace("</head>", f"{tag}\n</head>", 1), ()


def signals(urls: dict[str, str]) -> list[RightsSignal]:
    """Every signal, by page URL (`urls`: article key to canonical URL)."""
    return [
        RightsSignal(
            url=urls[case.key],
            form=case.form,
            where="header" if case.form.startswith("header") else "meta",
            name="X-Robots-Tag" if case.form.startswith("header") else case.meta_name,
            value=case.value,
            applies=case.applies,
        )
        for case in CASES
    ]
