"""The search query syntax, parsed once and translated to each database's full-text search.

Users write one syntax (docs/search.md#query-syntax), whatever the backend:

- words: `cecot prison` finds texts with both words (AND is implied);
- `"exact phrase"`: the words in that order, side by side;
- `prefix*`: any word starting so (`deport*` finds deported, deportation);
- `AND`, `OR`, `NOT` (upper case: lower-case `and` is a word), and parentheses:
  `(cecot OR "terrorism confinement center") AND NOT bitcoin`.

OR binds looser than AND. NOT excludes: it may only stand in an AND beside something that is
not excluded (`cecot NOT bitcoin`), since "everything without bitcoin" is no search. The parse
gives a tree of `Term`, `All`, `AnyOf` and `Without`; `storage.db.search` renders it as an SQLite
FTS5 query string or a PostgreSQL tsquery expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPERATORS = frozenset({"AND", "OR", "NOT"})
_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])"
    r'|"(?P<phrase>[^"]*)(?P<closed>"?)(?P<star>\*?)'
    r'|(?P<word>[^\s()"]+))'
)
_WORDISH = re.compile(r"\w")
_WORDISH_RUNS = re.compile(r"\w+")


class QueryError(ValueError):
    """A query that cannot be searched, with a message that says what to change."""


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a phrase (`text`, as the user wrote it); `prefix` when it ends in `*`."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class All:
    """Every one of `include`, and none of `exclude` (which is never alone: `include` is not
    empty)."""

    include: tuple[Node, ...]
    exclude: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one of `items`."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Without:
    """Not `item`: only ever inside the parser, an `All` takes it into `exclude`."""

    item: Node


Node = Term | All | AnyOf
"""A parsed query, or part of one."""


def parse(query: str) -> Node:
    """The tree of `query`; a `QueryError` for a query that is empty, unbalanced or only
    excludes."""
    tokens = _tokens(query)
    if not tokens:
        raise QueryError('the query is empty: give a word, a "phrase" or a prefix*')
    parser = _Parser(tokens)
    node = parser.expression()
    if parser.position < len(tokens):
        raise QueryError(f"unexpected {tokens[parser.position]!r}: a ')' without its '('?")
    return _positive(node, "a query")


def terms(node: Node) -> list[Term]:
    """The terms of `node` that are not excluded: what a match shows."""
    if isinstance(node, Term):
        return [node]
    items = node.include if isinstance(node, All) else node.items
    return [term for item in items for term in terms(item)]


_Token = str | Term


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    stripped = query.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        assert match is not None  # every character starts one of the alternatives
        position = match.end()
        if match["paren"]:
            tokens.append(match["paren"])
        elif match["phrase"] is not None:
            if not match["closed"]:
                raise QueryError(f'a phrase is not closed: "{match["phrase"]} (add a ")')
            tokens.append(_term(match["phrase"], phrase=True, prefix=bool(match["star"])))
        elif match["word"] in OPERATORS:
            tokens.append(match["word"])
        else:
            word = match["word"]
            prefix = word.endswith("*")
            tokens.append(_term(word.rstrip("*"), phrase=False, prefix=prefix))
    return tokens


def _term(text: str, *, phrase: bool, prefix: bool) -> Term:
    if not _WORDISH.search(text):
        shown = f'"{text}"' if phrase else text or "*"
        raise QueryError(f"{shown} has no letter or digit to search for")
    if prefix:
        words = _WORDISH_RUNS.findall(text)
        if len(words) > 1:
            raise QueryError(f"{text}*: a prefix* is one word (no spaces or punctuation in it)")
        text = words[0]
    return Term(text, phrase=phrase, prefix=prefix)


class _Parser:
    """Recursive descent: expression := all ('OR' all)*; all := unary ('AND'? unary)*;
    unary := 'NOT' unary | '(' expression ')' | term."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self) -> Node | Without:
        items = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else AnyOf(tuple(_positive(i, "OR") for i in items))

    def conjunction(self) -> Node | Without:
        items = [self.unary()]
        while (token := self.peek()) is not None and token not in ("OR", ")"):
            if token == "AND":
                self.take()
            items.append(self.unary())
        if len(items) == 1:
            return items[0]
        include = tuple(i for i in items if not isinstance(i, Without))
        exclude = tuple(i.item for i in items if isinstance(i, Without))
        if not include:
            raise QueryError("NOT needs something to exclude from: add a word that is searched for")
        return All(include, exclude)

    def unary(self) -> Node | Without:
        token = self.peek()
        if token is None:
            raise QueryError("the query ends too soon: a word is missing after AND, OR or NOT")
        if token == "NOT":
            self.take()
            inner = self.unary()
            return inner.item if isinstance(inner, Without) else Without(inner)
        if token == "(":
            self.take()
            inner = self.expression()
            if self.peek() != ")":
                raise QueryError("a '(' is not closed: add a ')'")
            self.take()
            return inner
        if token in ("AND", "OR", ")"):
            raise QueryError(f"unexpected {token!r}: a word is missing before it")
        self.take()
        assert isinstance(token, Term)
        return token


def _positive(node: Node | Without, where: str) -> Node:
    if isinstance(node, Without):
        raise QueryError(f"NOT cannot stand alone in {where}: write `word NOT other`")
    return node
