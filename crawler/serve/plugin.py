"""newsarchive's Datasette plugin: the pages Datasette has no view for (the home page, an article
with its versions and diffs, the replayed capture, search in our query syntax) and links from
Datasette's own tables and canned queries to them.

The pages read through `storage.db` with a SQLAlchemy engine of their own, opened read-only in
spirit (they only run queries) and per Datasette instance; the data dir and database URL come
from the plugin's configuration in the metadata (`plugins.newsarchive`).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from datasette import Response, hookimpl
from markupsafe import Markup
from sqlalchemy import Engine

from crawler.core.record import WarcReadError
from crawler.core.search import QueryError, parse
from crawler.serve import replay
from crawler.serve.diffview import diff_html
from crawler.versions.diff import word_diff
from storage.db import browse, queries
from storage.db.engine import open_database
from storage.db.search import MARK_END, MARK_START, search
from storage.db.stories import story_summaries
from storage.warc import page_from_record, read_record, resolve_warc_path

NAME = "newsarchive"
T = TypeVar("T")
_engines: dict[int, Engine] = {}


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    return [
        (r"^/$", home),
        (r"^/-/article/(?P<id>\d+)$", article_page),
        (r"^/-/article/(?P<id>\d+)/diff$", diff_page),
        (r"^/-/replay/(?P<id>\d+)$", replay_capture),
        (r"^/-/replay$", replay_url),
        (r"^/-/not-archived$", not_archived),
        (r"^/-/search$", search_page),
    ]


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(row: Any, value: Any, column: str) -> Markup | None:
    """Links from tables and canned queries: a title to its article's page, a story or
    publisher to its list of articles, a capture to its replay."""
    keys = row.keys() if hasattr(row, "keys") else []
    if column == "title" and "article_id" in keys:
        title = value or "(no title)"
        return Markup(f'<a href="/-/article/{int(row["article_id"])}">{html.escape(title)}</a>')
    if column == "story" and isinstance(value, str):
        return Markup(f'<a href="/newsarchive/story?name={quote(value)}">{html.escape(value)}</a>')
    if column == "publisher" and isinstance(value, str):
        return Markup(
            f'<a href="/newsarchive/publisher?name={quote(value)}">{html.escape(value)}</a>'
        )
    if column == "capture_id" and isinstance(value, int):
        return Markup(f'<a href="/-/replay/{value}">replay capture {value}</a>')
    return None


async def home(datasette: Any, request: Any) -> Response:
    engine = _engine(datasette)
    stories = await _run(story_summaries, engine)
    return await _render(datasette, request, "newsarchive_home.html", {"stories": stories})


async def _article(
    datasette: Any, request: Any
) -> tuple[browse.ArticleInfo, queries.ArticleHistory] | Response:
    """The article of the page's URL and its versions, or the page saying there is none."""
    url_id = int(request.url_vars["id"])
    engine = _engine(datasette)
    info = await _run(browse.article, engine, url_id)
    if info is None:
        return await _missing(datasette, request, f"no article {url_id} in the archive")
    return info, await _run(queries.versions, engine, info.url)


async def article_page(datasette: Any, request: Any) -> Response:
    found = await _article(datasette, request)
    if isinstance(found, Response):
        return found
    info, history = found
    versions = history.versions
    edits = []
    for old, new in pairwise(versions):
        title, text = word_diff(old.title or "", new.title or ""), word_diff(old.text, new.text)
        edits.append(
            {
                "old": old,
                "new": new,
                "added": title.words_added + text.words_added,
                "removed": title.words_removed + text.words_removed,
                "title": Markup(diff_html(title)) if title.changed else None,
                "text": Markup(diff_html(text)) if text.changed else None,
            }
        )
    context = {"info": info, "history": history, "edits": edits}
    return await _render(datasette, request, "newsarchive_article.html", context)


async def diff_page(datasette: Any, request: Any) -> Response:
    found = await _article(datasette, request)
    if isinstance(found, Response):
        return found
    info, history = found
    numbers = {row.number: row for row in history.versions}
    try:
        new_number = int(request.args.get("to") or history.current or max(numbers))
        new = numbers[new_number]
        old_at = history.versions.index(new) - 1
        old_number = int(request.args.get("from") or history.versions[max(old_at, 0)].number)
        old = numbers[old_number]
    except (KeyError, ValueError):
        return await _missing(datasette, request, "no such version of this article", status=400)
    title, text = word_diff(old.title or "", new.title or ""), word_diff(old.text, new.text)
    full = request.args.get("full") == "1"
    context = {
        "info": info,
        "old": old,
        "new": new,
        "numbers": sorted(numbers),
        "added": title.words_added + text.words_added,
        "removed": title.words_removed + text.words_removed,
        "title": Markup(diff_html(title, None)),
        "text": Markup(diff_html(text, None if full else 40)),
        "full": full,
    }
    return await _render(datasette, request, "newsarchive_diff.html", context)


async def replay_capture(datasette: Any, request: Any) -> Response:
    return await _replay(datasette, request, int(request.url_vars["id"]))


async def replay_url(datasette: Any, request: Any) -> Response:
    url = request.args.get("url") or ""
    found = await _run(browse.latest_captures, _engine(datasette), [url])
    if url not in found:
        return Response.redirect(replay.not_archived_href(url))
    return Response.redirect(f"/-/replay/{found[url]}")


async def not_archived(datasette: Any, request: Any) -> Response:
    url = request.args.get("url") or ""
    context = {"url": url}
    return await _render(datasette, request, "newsarchive_not_archived.html", context, status=404)


async def search_page(datasette: Any, request: Any) -> Response:
    text = (request.args.get("q") or "").strip()
    all_versions = request.args.get("all") == "1"
    context: dict[str, Any] = {"q": text, "all_versions": all_versions, "result": None}
    if text:
        try:
            query = parse(text)
        except QueryError as exc:
            context["error"] = str(exc)
        else:
            result = await _run(
                search, _engine(datasette), query, all_versions=all_versions, limit=100
            )
            context["result"] = result
            context["snippets"] = {
                hit.version_id: Markup(
                    html.escape(" ".join(hit.snippet.split()))
                    .replace(MARK_START, "<mark>")
                    .replace(MARK_END, "</mark>")
                )
                for hit in result.hits
            }
    return await _render(datasette, request, "newsarchive_search.html", context)


async def _replay(datasette: Any, request: Any, capture_id: int) -> Response:
    engine = _engine(datasette)
    place = await _run(browse.capture_place, engine, capture_id)
    if place is None:
        return await _missing(datasette, request, f"no capture {capture_id} in the archive")
    capture = place.capture
    if 300 <= capture.status < 400 and place.location:
        return Response.redirect(replay.replay_href(place.location))
    if place.body_filename is None or place.body_offset is None:
        message = f"capture {capture_id} is a revisit whose original record is not in the archive"
        return await _missing(datasette, request, message)
    warc_dir = Path(_config(datasette)["warc_dir"])
    path = resolve_warc_path(warc_dir, place.body_filename)
    try:
        record = await _run(read_record, path, place.body_offset)
        page = page_from_record(record)
    except (OSError, ValueError, WarcReadError) as exc:
        return await _missing(datasette, request, f"capture {capture_id}: {exc}", status=500)
    content_type = next((v for k, v in page.headers if k.lower() == "content-type"), None)
    headers = {"Content-Security-Policy": replay.CSP, "X-Content-Type-Options": "nosniff"}
    if replay.is_html(content_type):
        links = await _run(replay.page_links, page.body, capture.url)
        known = await _run(browse.latest_captures, engine, links)
        article_id = await _run(browse.article_id, engine, capture.url)
        banner = replay.Banner(
            capture.url,
            capture.fetched_at,
            capture.status,
            f"/-/article/{article_id}" if article_id is not None else None,
        )
        body = replay.rewrite_html(
            page.body, capture.url, replay.archived(known), replay.not_archived_href, banner
        )
        return Response.html(body, status=200, headers=headers)
    if replay.is_css(content_type):
        css = page.body.decode("utf-8", "replace")
        known = await _run(browse.latest_captures, engine, replay.css_links(css, capture.url))
        body_text = replay.rewrite_css(css, capture.url, replay.archived(known))
        return Response(body_text, headers=headers, content_type="text/css; charset=utf-8")
    return Response(
        page.body, headers=headers, content_type=content_type or "application/octet-stream"
    )


async def _missing(datasette: Any, request: Any, message: str, status: int = 404) -> Response:
    context = {"message": message}
    return await _render(datasette, request, "newsarchive_missing.html", context, status=status)


async def _render(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    page = await datasette.render_template(template, context, request=request)
    return Response.html(page, status=status)


def _config(datasette: Any) -> dict[str, str]:
    config: dict[str, str] = datasette.plugin_config(NAME) or {}
    return config


def _engine(datasette: Any) -> Engine:
    key = id(datasette)
    if key not in _engines:
        _engines[key] = open_database(_config(datasette)["db_url"], create=False)
    return _engines[key]


def dispose(datasette: Any) -> None:
    """Close the engine the pages of `datasette` opened."""
    engine = _engines.pop(id(datasette), None)
    if engine is not None:
        engine.dispose()


async def _run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking read off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)
