"""One HTML theme per publisher, each with its own markup, metadata style and boilerplate.

A theme is `render(view) -> str` plus `OWN`: the boilerplate lines the theme adds by role, on top
of those of the publisher's seed, so every site has a cookie banner, ads and a footer; and
`WEIGHT`: how heavy its pages are, and in what style (see weight/).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from crawler.simweb.templates import View
from crawler.simweb.themes import (
    continental_herald,
    harbor_courier,
    justice_dispatch,
    ledgerline,
    wirefront,
)
from crawler.simweb.weight import Profile


@dataclass(frozen=True, slots=True)
class Theme:
    render: Callable[[View], str]
    own: Mapping[str, tuple[str, ...]]
    weight: Profile


THEMES: dict[str, Theme] = {
    module.__name__.rsplit(".", 1)[1].replace("_", "-"): Theme(
        module.render, module.OWN, module.WEIGHT
    )
    for module in (ledgerline, harbor_courier, wirefront, justice_dispatch, continental_herald)
}
"""Theme by publisher slug."""
