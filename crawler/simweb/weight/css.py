"""A publisher's theme stylesheet, generated: custom properties, rules over its class names,
media queries, keyframes; minified, as news sites inline their critical CSS.

Values come from the site's own palette and scales, as a design system's do, and half the rules
repeat a declaration block written before, so the sheet compresses like real CSS (5 to 6 times)
rather than like noise. It never uses `url()` or `@import`: nothing in it points anywhere.
"""

from __future__ import annotations

import random

from crawler.simweb.weight.tokens import kebab, token, word

_SPACES = ("0", ".25rem", ".5rem", ".75rem", "1rem", "1.5rem", "2rem", "4px", "8px", "12px",
           "16px", "20px", "24px", "32px", "auto")  # fmt: skip
_LENGTHS = ("100%", "50%", "auto", "100vw", "40px", "48px", "64px", "80px", "120px",
            "160px", "240px", "300px", "320px", "360px", "480px", "640px", "720px", "960px",
            "1200px")  # fmt: skip
_FONT_SIZES = (".75rem", ".8125rem", ".875rem", "1rem", "1.125rem", "1.25rem", "1.5rem",
               "1.875rem", "2.25rem", "12px", "14px", "16px", "18px", "22px", "28px")  # fmt: skip
_TRANSFORMS = ("translateY(-2px)", "translateY(4px)", "translateX(-50%)", "scale(1.05)",
               "rotate(45deg)", "rotate(180deg)")  # fmt: skip
_TRANSITIONS = ("opacity .2s ease", "transform .3s cubic-bezier(.4,0,.2,1)",
                "color .15s ease-in-out", "background-color .25s linear")  # fmt: skip
_FAMILIES = ('"Helvetica Neue",Helvetica,Arial,sans-serif', "Georgia,Cambria,serif",
             'Inter,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif',
             '"Source Serif Pro","Times New Roman",serif', "Menlo,Consolas,monospace")  # fmt: skip
_CHOICES: dict[str, tuple[str, ...]] = {
    "display": ("block", "flex", "grid", "inline-block", "inline-flex", "none", "contents"),
    "position": ("relative", "absolute", "sticky", "fixed", "static"),
    "top": _SPACES,
    "left": _SPACES,
    "z-index": ("1", "2", "5", "10", "99", "100", "1000"),
    "flex-direction": ("row", "column", "row-reverse"),
    "flex-wrap": ("wrap", "nowrap"),
    "align-items": ("center", "flex-start", "flex-end", "baseline", "stretch"),
    "justify-content": ("space-between", "center", "flex-start", "flex-end", "space-around"),
    "gap": _SPACES,
    "width": _LENGTHS,
    "max-width": _LENGTHS,
    "min-height": _LENGTHS[4:12],
    "aspect-ratio": ("16/9", "4/3", "1", "3/2"),
    "margin-top": _SPACES,
    "margin-bottom": _SPACES,
    "padding-left": _SPACES,
    "overflow": ("hidden", "auto", "visible"),
    "font-size": _FONT_SIZES,
    "font-weight": ("400", "500", "600", "700", "800"),
    "font-style": ("normal", "italic"),
    "line-height": ("1", "1.2", "1.25", "1.35", "1.4", "1.5", "1.6"),
    "letter-spacing": (".01em", ".02em", ".04em", "-.01em", "0"),
    "text-align": ("left", "center", "right"),
    "text-transform": ("uppercase", "none", "capitalize"),
    "text-decoration": ("none", "underline"),
    "white-space": ("nowrap", "normal", "pre-wrap"),
    "vertical-align": ("middle", "top", "baseline"),
    "list-style": ("none",),
    "object-fit": ("cover", "contain"),
    "border-radius": ("2px", "4px", "8px", "50%", "999px", ".25rem"),
    "opacity": (".5", ".6", ".75", ".85", "0", "1"),
    "visibility": ("hidden", "visible"),
    "cursor": ("pointer", "default"),
    "pointer-events": ("none", "auto"),
    "transform": _TRANSFORMS,
    "transition": _TRANSITIONS,
}
_COMPUTED = ("color", "background-color", "border-color", "fill", "margin", "padding",
             "font-family", "border", "border-bottom", "box-shadow",
             "grid-template-columns")  # fmt: skip
_PROPERTIES = (*_COMPUTED, *_CHOICES)
_PSEUDO = (":hover", ":focus-visible", ":first-child", ":last-child", ":not(:last-child)",
           "::before", "::after", ":focus-within", ":nth-child(2n)", ":active")  # fmt: skip
_TAGS = ("a", "p", "span", "img", "li", "ul", "h2", "h3", "button", "svg", "time", "figure")
_MEDIA = ("(min-width:480px)", "(min-width:768px)", "(min-width:1024px)", "(min-width:1280px)",
          "(max-width:767px)", "(prefers-color-scheme:dark)", "(prefers-reduced-motion:reduce)",
          "print")  # fmt: skip
_KEYFRAMES = ("0%{opacity:0}to{opacity:1}", "0%{transform:rotate(0)}to{transform:rotate(1turn)}",
              "0%,to{transform:translateY(0)}50%{transform:translateY(-4px)}")  # fmt: skip


def stylesheet(rng: random.Random, names: list[str], size: int) -> str:
    """About `size` characters of minified CSS over the class names `names`."""
    sheet = _Sheet(rng, names)
    out = [sheet.root(), "*,::after,::before{box-sizing:border-box}"]
    length = sum(map(len, out))
    while length < size:
        roll = rng.random()
        if roll < 0.12:
            block = f"@media {rng.choice(_MEDIA)}{{{''.join(sheet.rules(2, 9))}}}"
        elif roll < 0.14:
            block = sheet.keyframes()
        else:
            block = "".join(sheet.rules(1, 3))
        out.append(block)
        length += len(block)
    return "".join(out)


class _Sheet:
    def __init__(self, rng: random.Random, names: list[str]) -> None:
        self.rng = rng
        self.names = names
        self.palette = [f"#{rng.randrange(0x1000000):06x}" for _ in range(rng.randint(8, 14))]
        self.colours = [f"--c-{kebab(rng, 1)}-{n}" for n in range(len(self.palette))]
        self.fonts = [f"--f-{word(rng)}" for _ in range(3)]
        self.shadows = [
            f"0 {rng.randint(1, 4)}px {rng.randint(2, 16)}px rgba(0,0,0,.{rng.randint(5, 30)})"
            for _ in range(4)
        ]
        self.animations: list[str] = []
        self.blocks: list[str] = []
        """Declaration blocks already written: real sheets repeat many of them."""

    def root(self) -> str:
        """The custom properties the rules' colours and fonts refer to."""
        rng = self.rng
        pairs = [*zip(self.colours, self.palette, strict=True)]
        pairs += [(font, rng.choice(_FAMILIES)) for font in self.fonts]
        return ":root{" + ";".join(f"{name}:{value}" for name, value in pairs) + "}"

    def rules(self, least: int, most: int) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(rng.randint(least, most)):
            selectors = ",".join(self.selector() for _ in range(rng.choice((1, 1, 1, 2, 3))))
            if self.blocks and rng.random() < 0.5:
                body = rng.choice(self.blocks)
            else:
                body = self.declarations()
                self.blocks.append(body)
            if self.animations and rng.random() < 0.03:
                body += f";animation:{rng.choice(self.animations)} 1s infinite"
            out.append(f"{selectors}{{{body}}}")
        return out

    def selector(self) -> str:
        rng = self.rng
        out = "." + rng.choice(self.names)
        roll = rng.random()
        if roll < 0.3:
            out += " ." + rng.choice(self.names)
        elif roll < 0.45:
            out += ">" + rng.choice(_TAGS)
        elif roll < 0.55:
            out = rng.choice(_TAGS) + out
        if rng.random() < 0.25:
            out += rng.choice(_PSEUDO)
        return out

    def declarations(self) -> str:
        """1 to 7 declarations, in the one order the site's minifier sorts them into."""
        chosen = sorted(self.rng.sample(range(len(_PROPERTIES)), self.rng.randint(1, 7)))
        return ";".join(f"{_PROPERTIES[i]}:{self.value(_PROPERTIES[i])}" for i in chosen)

    def value(self, name: str) -> str:
        rng = self.rng
        if name in _CHOICES:
            return rng.choice(_CHOICES[name])
        if name in ("margin", "padding"):
            return " ".join(rng.choice(_SPACES) for _ in range(rng.randint(1, 4)))
        if name == "font-family":
            return f"var({rng.choice(self.fonts)})"
        if name == "box-shadow":
            return rng.choice(self.shadows)
        if name == "grid-template-columns":
            if rng.random() < 0.7:
                return f"repeat({rng.randint(2, 6)},minmax(0,1fr))"
            return f"{rng.choice(_LENGTHS[8:14])} 1fr"
        colour = self.colour()
        if name == "border":
            return f"{rng.choice((1, 1, 2))}px solid {colour}"
        if name == "border-bottom":
            return f"1px {rng.choice(('solid', 'dashed'))} {colour}"
        return "currentColor" if name == "fill" and rng.random() < 0.5 else colour

    def colour(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            return f"var({rng.choice(self.colours)})"
        return f"#{rng.choice(('fff', '000', '111', '333', '666', 'ccc', 'eee', 'f5f5f5'))}"

    def keyframes(self) -> str:
        name = f"{word(self.rng)}-{token(self.rng, 4)}"
        self.animations.append(name)
        return f"@keyframes {name}{{{self.rng.choice(_KEYFRAMES)}}}"
