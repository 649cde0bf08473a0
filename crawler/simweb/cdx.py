"""Capture index queries, answered as the Wayback CDX server and the Common Crawl index (pywb)
answer them, over the captures of archive.py.

Wayback (`/cdx/search/cdx`): `url` (exact, or a prefix with a trailing `/*`), `matchType`
(exact, prefix, host, domain), `from`/`to` (1 to 14 digits), `filter=[!]field:regex` (the whole
field must match, as in Java), `collapse=field[:N]` (adjacent duplicates), `fl`, `limit` (-N for
the last N), `offset`, `output=json` (a JSON array whose first row names the fields; `[]` when
nothing matches) and `showResumeKey`/`resumeKey` (an empty row, then the key, as the real server
prints them). Common Crawl (`/CC-MAIN-2025-08-index`): the same scope and dates, pywb filters
(`[!][=~]field:value`: exact, contains, or a regex from the start), `fl`, `limit`, `output=json`
(one JSON object a line; CDXJ lines otherwise), and pages of `pageSize` blocks of one line
(`page`, `showNumPages` -> `{"pages": N, "pageSize": 5, "blocks": M}`); nothing matching is a
404 with `{"message": "No Captures found for: URL"}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs, quote_plus, unquote_plus, urlsplit

from crawler.simweb.archive import ArchiveCapture

WAYBACK_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
CC_PAGE_SIZE = 5
"""Blocks a page by default, as the real index (whose blocks hold 3,000 lines; ours, one)."""
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


class QueryError(ValueError):
    """A query the server refuses with 400, and the message it gives."""


def urlkey(url: str) -> str:
    """The SURT sort key of `url`, as the `surt` library writes it: host reversed (`www.`
    dropped, a port kept), path lower-cased without its trailing slash, query sorted."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = ",".join(reversed(host.split(".")))
    if parts.port not in (None, 80):
        key += f":{parts.port}"
    path = parts.path.lower() or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = "&".join(sorted(parts.query.lower().split("&"))) if parts.query else ""
    return f"{key}){path}" + (f"?{query}" if query else "")


def _sort_key(capture: ArchiveCapture) -> str:
    """Index lines sort as text: urlkey, a space, the timestamp."""
    return f"{urlkey(capture.url)} {capture.timestamp}"


def in_scope(
    captures: Sequence[ArchiveCapture], params: dict[str, list[str]]
) -> list[ArchiveCapture]:
    """The captures `url` and `matchType` select, in index order."""
    url = _one(params, "url")
    if not url:
        raise QueryError("Missing required query parameter: url")
    match = _one(params, "matchType") or "exact"
    if url.endswith("*"):
        url, match = url[:-1], "prefix"
    if url.startswith("*."):
        url, match = url[2:], "domain"
    key = urlkey(url)
    host = key.split(")", 1)[0]
    tests: dict[str, Callable[[str], bool]] = {
        "exact": lambda k: k == key,
        "prefix": lambda k: k.startswith(key),
        "host": lambda k: k.split(")", 1)[0] == host,
        "domain": lambda k: k.split(")", 1)[0] == host or k.startswith(host + ","),
    }
    if match not in tests:
        raise QueryError(f"Invalid matchType: {match}")
    chosen = [c for c in captures if tests[match](urlkey(c.url))]
    return sorted(chosen, key=_sort_key)


def in_dates(captures: list[ArchiveCapture], params: dict[str, list[str]]) -> list[ArchiveCapture]:
    """`from` and `to`, inclusive, each 1 to 14 digits of yyyyMMddhhmmss."""
    start, end = _one(params, "from"), _one(params, "to")
    for name, value in (("from", start), ("to", end)):
        if value and not re.fullmatch(r"\d{1,14}", value):
            raise QueryError(f"Invalid {name} timestamp: {value}")
    return [
        c
        for c in captures
        if (not start or c.timestamp[: len(start)] >= start)
        and (not end or c.timestamp[: len(end)] <= end)
    ]


def wayback_fields(capture: ArchiveCapture) -> dict[str, str]:
    return {
        "urlkey": urlkey(capture.url),
        "timestamp": capture.timestamp,
        "original": capture.url,
        "mimetype": capture.mime,
        "statuscode": str(capture.status),
        "digest": capture.digest,
        "length": str(capture.length),
    }


def wayback_query(captures: Sequence[ArchiveCapture], query: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a Wayback CDX query."""
    params = parse_qs(query, keep_blank_values=True)
    try:
        rows = in_dates(in_scope(captures, params), params)
        resume = _one(params, "resumeKey")
        if resume:
            start = unquote_plus(resume)
            rows = [c for c in rows if _sort_key(c) >= start]
        fields = [wayback_fields(c) for c in rows]
        for spec in params.get("filter", []):
            fields = [f for f in fields if _wayback_filter(spec)(f)]
        for spec in params.get("collapse", []):
            fields = _collapse(fields, spec)
        offset = int(_one(params, "offset") or 0)
        fields = fields[offset:]
        limit = _one(params, "limit")
        more = False
        if limit:
            count = int(limit)
            more = 0 <= count < len(fields)
            fields = fields[count:] if count < 0 else fields[:count]
        names = _field_list(params, WAYBACK_FIELDS)
    except (QueryError, ValueError) as error:
        return 400, TEXT, f"{error}\n".encode()
    table = [[f[name] for name in names] for f in fields]
    key = None
    if more and _one(params, "showResumeKey") == "true" and fields:
        last = fields[-1]
        key = quote_plus(f"{last['urlkey']} {last['timestamp']}!")
    if _one(params, "output") == "json":
        out: list[list[str]] = [list(names), *table] if table else []
        if key is not None:
            out += [[], [key]]
        return 200, JSON, ("[" + ",\n".join(json.dumps(row) for row in out) + "]\n").encode()
    lines = [" ".join(row) for row in table]
    if key is not None:
        lines += ["", key]
    return 200, TEXT, "".join(line + "\n" for line in lines).encode()


def _wayback_filter(spec: str) -> Callable[[dict[str, str]], bool]:
    negate = spec.startswith("!")
    name, sep, pattern = spec.removeprefix("!").partition(":")
    if not sep or name not in WAYBACK_FIELDS:
        raise QueryError(f"Invalid filter: {spec}")
    regex = re.compile(pattern)
    return lambda fields: (regex.fullmatch(fields[name]) is not None) != negate


def _collapse(fields: list[dict[str, str]], spec: str) -> list[dict[str, str]]:
    """Drop each row whose `field` (or its first N characters) equals the row before it."""
    name, _, count = spec.partition(":")
    if name not in WAYBACK_FIELDS:
        raise QueryError(f"Invalid collapse field: {spec}")
    width = int(count) if count else None
    out: list[dict[str, str]] = []
    for row in fields:
        if out and row[name][:width] == out[-1][name][:width]:
            continue
        out.append(row)
    return out


def cc_fields(capture: ArchiveCapture) -> dict[str, str]:
    """A capture as a line of a Common Crawl index (all values strings, in the index's order)."""
    out = {
        "urlkey": urlkey(capture.url),
        "timestamp": capture.timestamp,
        "url": capture.url,
        "mime": capture.mime,
        "mime-detected": capture.mime,
        "status": str(capture.status),
        "digest": capture.digest,
        "length": str(capture.length),
        "offset": str(capture.offset),
        "filename": capture.filename,
    }
    location = dict(capture.headers).get("Location")
    if location:
        out["redirect"] = location
    if capture.status == 200 and capture.mime == "text/html":
        out |= {"charset": "UTF-8", "languages": "eng"}
    return out


def cc_query(captures: Sequence[ArchiveCapture], query: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a Common Crawl index query."""
    params = parse_qs(query, keep_blank_values=True)
    json_out = _one(params, "output") == "json"
    try:
        scope = in_scope(captures, params)
        size = int(_one(params, "pageSize") or CC_PAGE_SIZE)
        pages = -(-len(scope) // size)
        if _one(params, "showNumPages") == "true":
            body = json.dumps({"pages": pages, "pageSize": size, "blocks": len(scope)})
            return 200, JSON if json_out else TEXT, (body + "\n").encode()
        page = _one(params, "page")
        if page:
            number = int(page)
            if not 0 <= number < max(pages, 1):
                raise QueryError(
                    f"Page {number} invalid: First Page is 0, Last Page is {max(pages - 1, 0)}"
                )
            scope = scope[number * size : (number + 1) * size]
        rows = [cc_fields(c) for c in in_dates(scope, params)]
        for spec in params.get("filter", []):
            rows = [r for r in rows if _cc_filter(spec)(r)]
        limit = _one(params, "limit")
        if limit:
            rows = rows[: int(limit)]
        names = _field_list(params, ())
    except (QueryError, ValueError) as error:
        return 400, JSON if json_out else TEXT, _message(str(error), json_out)
    if not rows:
        return (
            404,
            JSON if json_out else TEXT,
            _message(f"No Captures found for: {_one(params, 'url')}", json_out),
        )
    if names:
        rows = [{k: r[k] for k in names if k in r} for r in rows]
    if json_out:
        return 200, JSON, "".join(json.dumps(r) + "\n" for r in rows).encode()
    lines = []
    for row in rows:
        rest = {k: v for k, v in row.items() if k not in ("urlkey", "timestamp")}
        lines.append(f"{row.get('urlkey', '')} {row.get('timestamp', '')} {json.dumps(rest)}\n")
    return 200, TEXT, "".join(lines).encode()


def _cc_filter(spec: str) -> Callable[[dict[str, str]], bool]:
    negate = spec.startswith("!")
    spec = spec.removeprefix("!")
    mode = spec[0] if spec[:1] in ("=", "~") else ""
    name, sep, value = spec.removeprefix(mode).partition(":")
    if not sep:
        raise QueryError(f"Invalid filter: {spec}")
    if mode == "=":
        return lambda row: (row.get(name) == value) != negate
    if mode == "~":
        return lambda row: (value in row.get(name, "")) != negate
    regex = re.compile(value)
    return lambda row: (regex.match(row.get(name, "")) is not None) != negate


def _message(text: str, json_out: bool) -> bytes:
    return (json.dumps({"message": text}) if json_out else text).encode() + b"\n"


def _field_list(params: dict[str, list[str]], default: Sequence[str]) -> list[str]:
    chosen = _one(params, "fl")
    if not chosen:
        return list(default)
    names = [name.strip() for name in chosen.split(",") if name.strip()]
    if default and set(names) - set(default):
        raise QueryError(f"Invalid field list: {chosen}")
    return names


def _one(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[-1] if values else ""
