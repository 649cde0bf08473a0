"""A publisher's inline scripts, generated: the consent, analytics and ads bootstrap real news
pages carry in their head, and a minified webpack-style bundle at the end of the body.

The code is never run and need not mean anything; it has to look and compress like minified
JavaScript. It contains no comment, no regular expression and no URL, so no `//` at all.
"""

from __future__ import annotations

import json
import random

from crawler.simweb.weight.tokens import camel, ident, kebab, word

_EVENTS = ("click", "scroll", "resize", "keydown", "focus", "blur", "load", "change", "input",
           "visibilitychange", "pointerdown", "touchstart", "submit", "message")  # fmt: skip
_DOM = ("classList", "dataset", "style", "parentNode", "children", "firstChild", "textContent",
        "offsetTop", "offsetHeight", "clientWidth", "scrollTop", "innerHeight", "length",
        "target", "currentTarget", "nodeType", "tagName", "hidden", "value")  # fmt: skip
_METHODS = ("push", "map", "filter", "forEach", "reduce", "indexOf", "slice", "concat", "join",
            "split", "call", "apply", "bind", "then", "catch", "get", "set", "has", "add",
            "remove", "toggle", "contains", "getAttribute", "setAttribute", "querySelector",
            "querySelectorAll", "addEventListener", "removeEventListener", "dispatchEvent",
            "appendChild", "insertBefore", "closest", "matches", "keys", "assign")  # fmt: skip
_GLOBALS = ("window", "document", "Object", "Array", "Promise", "Math", "JSON", "navigator",
            "performance", "localStorage", "Symbol", "Number", "String")  # fmt: skip


def head_bootstrap(rng: random.Random, site: str) -> str:
    """Consent stub, analytics queue and ad command queue, minified, for the page's head."""
    vendors = sorted(rng.sample(range(1, 1200), rng.randint(120, 260)))
    purposes = {str(n): rng.random() < 0.6 for n in range(1, 11)}
    cmp, store = ident(rng), f"{site}_{word(rng)}"
    return (
        f"!function(w,d){{var {cmp}=w.__cmp=w.__cmp||{{queue:[],ready:!1}};{cmp}.gdprApplies=!0;"
        f"{cmp}.vendors={json.dumps(vendors, separators=(',', ':'))};"
        f"{cmp}.purposes={json.dumps(purposes, separators=(',', ':'))};"
        f"w.__tcfapi=function(e,t,n,o){{{cmp}.queue.push([e,t,n,o])}};"
        f'try{{var s=w.localStorage.getItem("{store}");s&&({cmp}.stored=JSON.parse(s))}}'
        f'catch(e){{}}d.documentElement.classList.add("{site}-js")}}(window,document);'
        "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        'gtag("consent","default",{ad_storage:"denied",analytics_storage:"denied",'
        f"wait_for_update:{rng.choice((300, 500, 800))}}});"
        "window.googletag=window.googletag||{cmd:[]};"
        f"window.{site}Ads=window.{site}Ads||{{queue:[],lazy:{{fetchMarginPercent:"
        f"{rng.choice((100, 200, 300))},renderMarginPercent:{rng.choice((25, 50, 100))}}}}};"
    )


def bundle(rng: random.Random, chunk: str, names: list[str], size: int) -> str:
    """About `size` characters of a webpack chunk of modules using the class names `names`."""
    code = _Code(rng, names)
    name = f"self.webpackChunk{chunk}"
    head = f"({name}={name}||[]).push([[{rng.randint(100, 999)}],{{"
    modules: list[str] = []
    length = len(head)
    while length < size:
        module = code.module()
        modules.append(module)
        length += len(module) + 1
    return head + ",".join(modules) + "}]);"


class _Code:
    def __init__(self, rng: random.Random, names: list[str]) -> None:
        self.rng = rng
        self.names = names
        self.keys = [camel(rng, rng.choice((1, 2, 2))) for _ in range(90)]
        self.strings = [kebab(rng, rng.choice((1, 2))) for _ in range(60)]
        self.ids: list[int] = []

    def module(self) -> str:
        rng = self.rng
        number = rng.randint(1000, 99999)
        self.ids.append(number)
        exports = [
            f"{self.key()}:function(){{return {ident(rng)}}}" for _ in range(rng.randint(1, 4))
        ]
        imports = "".join(
            f"var {ident(rng)}=n({rng.choice(self.ids)});" for _ in range(rng.randint(0, 3))
        )
        body = "".join(self.statement(0) for _ in range(rng.randint(3, 12)))
        if rng.random() < 0.5:
            body = 'Object.defineProperty(t,"__esModule",{value:!0});' + body
        if rng.random() < 0.4:
            body += self.component()
        exported = f"n.d(t,{{{','.join(exports)}}});"
        return f'{number}:function(e,t,n){{"use strict";{exported}{imports}{body}}}'

    def component(self) -> str:
        """A compiled React component, the commonest shape in a news site's bundle."""
        rng = self.rng
        props = [self.key() for _ in range(rng.randint(1, 4))]
        reads = ",".join(f"{ident(rng)}=e.{prop}" for prop in props)
        children = ",".join(self.expr(2) for _ in range(rng.randint(1, 3)))
        return (
            f"function {ident(rng)}(e){{var {reads},r=(0,o.useState)(!1),i=r[0],a=r[1];"
            f'return(0,c.jsx)("{rng.choice(("div", "section", "aside", "li"))}",'
            f'{{className:"{rng.choice(self.names)}",children:[{children}]}})}}'
        )

    def key(self) -> str:
        return self.rng.choice(self.keys)

    def string(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return f'"{rng.choice(self.names)}"'
        if roll < 0.5:
            return f'"{rng.choice(_EVENTS)}"'
        return f'"{rng.choice(self.strings)}"'

    def expr(self, depth: int) -> str:
        rng = self.rng
        roll = rng.random() if depth < 3 else rng.random() * 0.5
        if roll < 0.16:
            return ident(rng)
        if roll < 0.28:
            return f"{ident(rng)}.{rng.choice(_DOM) if rng.random() < 0.5 else self.key()}"
        if roll < 0.38:
            return self.string()
        if roll < 0.44:
            return rng.choice(("!0", "!1", "void 0", "null", str(rng.randint(0, 999))))
        if roll < 0.5:
            return f"{rng.choice(_GLOBALS)}.{self.key()}"
        if roll < 0.64:
            args = ",".join(self.expr(depth + 1) for _ in range(rng.randint(0, 3)))
            return f"{ident(rng)}.{rng.choice(_METHODS)}({args})"
        if roll < 0.72:
            pairs = ",".join(
                f"{self.key()}:{self.expr(depth + 1)}" for _ in range(rng.randint(1, 4))
            )
            return f"{{{pairs}}}"
        if roll < 0.8:
            return f"{self.expr(depth + 1)}?{self.expr(depth + 1)}:{self.expr(depth + 1)}"
        if roll < 0.86:
            op = rng.choice(("&&", "||", "===", "!==", "+", "<", ">="))
            return f"{self.expr(depth + 1)}{op}{self.expr(depth + 1)}"
        if roll < 0.92:
            cls = rng.choice(self.names)
            return (
                f'(0,{ident(rng)}.jsx)("{rng.choice(("div", "span", "a", "button"))}",'
                f'{{className:"{cls}",children:{self.expr(depth + 1)}}})'
            )
        params = ",".join(ident(rng) for _ in range(rng.randint(0, 2)))
        return f"function({params}){{return {self.expr(depth + 1)}}}"

    def statement(self, depth: int) -> str:
        rng = self.rng
        roll = rng.random() if depth < 2 else rng.random() * 0.45
        if roll < 0.2:
            return f"var {ident(rng)}={self.expr(depth)};"
        if roll < 0.35:
            return f"{self.expr(depth)};"
        if roll < 0.45:
            return f"{ident(rng)}.{self.key()}={self.expr(depth)};"
        if roll < 0.55:
            return f"if({self.expr(depth + 1)})return {self.expr(depth + 1)};"
        if roll < 0.65:
            name, params = ident(rng), ",".join(ident(rng) for _ in range(rng.randint(1, 3)))
            inner = "".join(self.statement(depth + 1) for _ in range(rng.randint(1, 4)))
            return f"function {name}({params}){{{inner}return {self.expr(depth + 1)}}}"
        if roll < 0.73:
            target, event = ident(rng), rng.choice(_EVENTS)
            inner = "".join(self.statement(depth + 1) for _ in range(rng.randint(1, 3)))
            return f'{target}.addEventListener("{event}",function(e){{{inner}}},{{passive:!0}});'
        if roll < 0.8:
            i, items = ident(rng), ident(rng)
            inner = "".join(self.statement(depth + 1) for _ in range(rng.randint(1, 3)))
            return f"for(var {i}=0;{i}<{items}.length;{i}++){{{inner}}}"
        if roll < 0.87:
            inner = "".join(self.statement(depth + 1) for _ in range(rng.randint(1, 3)))
            return f"try{{{inner}}}catch({ident(rng)}){{}}"
        if roll < 0.94:
            cls = rng.choice(self.names)
            return (
                f'document.querySelectorAll(".{cls}").forEach(function({ident(rng)})'
                f"{{{self.statement(depth + 1)}}});"
            )
        delay = rng.choice((0, 50, 100, 250, 1000))
        return f"setTimeout(function(){{{self.statement(depth + 1)}}},{delay});"
