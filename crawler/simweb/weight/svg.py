"""A publisher's inline SVG icon sprite: `<symbol>`s of path data, as sites inline their icon
set at the top of the body so that `<use>` can draw them without a request."""

from __future__ import annotations

import random

from crawler.simweb.weight.tokens import WORDS

_COMMANDS = "clsqhvCLS"
_ARITY = {"c": 6, "l": 2, "s": 4, "q": 4, "h": 1, "v": 1, "C": 6, "L": 2, "S": 4}


def sprite(rng: random.Random, prefix: str, icons: int) -> str:
    """A hidden `<svg>` of `icons` symbols. It has no `xmlns`: inline SVG in HTML needs none,
    and a namespace URI is a URL nothing here should carry."""
    symbols = "".join(_symbol(rng, f"{prefix}icon-{name}") for name in rng.sample(WORDS, icons))
    return (
        '<svg aria-hidden="true" focusable="false" '
        'style="position:absolute;width:0;height:0;overflow:hidden">'
        f"<defs>{symbols}</defs></svg>"
    )


def _symbol(rng: random.Random, name: str) -> str:
    box = rng.choice((16, 20, 24, 24, 24, 32))
    paths = "".join(
        f'<path d="{_path(rng, box)}"></path>' for _ in range(rng.choice((1, 1, 1, 2, 3)))
    )
    return f'<symbol id="{name}" viewBox="0 0 {box} {box}">{paths}</symbol>'


def _path(rng: random.Random, box: int) -> str:
    out = [f"M{_number(rng, box)} {_number(rng, box)}"]
    for _ in range(rng.randint(4, 16)):
        command = rng.choice(_COMMANDS)
        values = [_number(rng, box, relative=command.islower()) for _ in range(_ARITY[command])]
        out.append(command + " ".join(values))
    return "".join(out) + "z"


def _number(rng: random.Random, box: int, *, relative: bool = False) -> str:
    """A coordinate with up to two decimals, written as minifiers write it ('-.5', '12.25')."""
    value = rng.uniform(-box / 3, box / 3) if relative else rng.uniform(0, box)
    digits = rng.choice((0, 0, 1, 2))
    text = f"{value:.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    if text.startswith(("0.", "-0.")):
        text = text.replace("0.", ".", 1)
    return "0" if text == "-0" else text
