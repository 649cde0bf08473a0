"""The Datasette instance `newsarchive serve` runs: the data dir's SQLite database opened
read-only, our metadata (descriptions, hidden internals, the FTS table, canned queries for
stories and publishers), our templates, and our plugin (crawler/serve/plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.serve import plugin

TEMPLATES = Path(__file__).with_name("templates")
DATABASE = "newsarchive"
"""Datasette names a database after its file: DIR/newsarchive.db."""

_LATEST = (
    "join (select url_id, max(version) as version from article_versions group by url_id) latest "
    "on latest.url_id = v.url_id and latest.version = v.version"
)
QUERIES: dict[str, dict[str, Any]] = {
    "stories": {
        "title": "Stories",
        "description": "Every story with the publishers it watches and the articles judged.",
        "sql": (
            "select s.name as story, s.title as story_title, "
            "(select count(*) from story_sources ss where ss.story_id = s.id) as publishers, "
            "(select count(*) from story_articles sa where sa.story_id = s.id) as articles, "
            "(select count(*) from story_articles sa where sa.story_id = s.id and sa.relevant) "
            "as relevant, (select max(started_at) from crawl_runs r where r.story_id = s.id) "
            "as last_crawl from stories s order by s.name"
        ),
    },
    "story": {
        "title": "A story's articles",
        "description": "The articles judged for one story, relevant first, newest first.",
        "sql": (
            "select v.url_id as article_id, v.title, p.name as publisher, v.published, "
            "sa.relevant, sa.relevance_score as score, sa.reason, "
            "(select count(*) from article_versions w where w.url_id = v.url_id) as versions, "
            "u.url from story_articles sa join stories s on s.id = sa.story_id "
            "join article_versions v on v.id = sa.version_id join urls u on u.id = v.url_id "
            "left join publishers p on p.id = u.publisher_id where s.name = :name "
            "order by sa.relevant desc, v.published desc, v.title"
        ),
    },
    "publishers": {
        "title": "Publishers",
        "sql": (
            "select p.name as publisher, p.host, p.url as home, "
            "(select count(distinct v.url_id) from article_versions v join urls u "
            "on u.id = v.url_id where u.publisher_id = p.id) as articles, "
            "(select count(*) from captures c join urls u on u.id = c.url_id "
            "where u.publisher_id = p.id) as captures from publishers p order by p.name"
        ),
    },
    "publisher": {
        "title": "A publisher's articles",
        "description": "The latest version of each article of one publisher, newest first.",
        "sql": (
            "select v.url_id as article_id, v.title, v.published, v.version as versions, "
            "v.first_seen, v.last_seen, u.url from article_versions v "
            f"{_LATEST} join urls u on u.id = v.url_id join publishers p "
            "on p.id = u.publisher_id where p.name = :name "
            "order by v.published desc, v.first_seen desc"
        ),
    },
    "edited": {
        "title": "Edited articles",
        "description": "Articles with more than one version, most versions first.",
        "sql": (
            "select v.url_id as article_id, v.title, p.name as publisher, v.version as versions, "
            "v.last_seen, u.url from article_versions v "
            f"{_LATEST} join urls u on u.id = v.url_id left join publishers p "
            "on p.id = u.publisher_id where v.version > 1 order by v.version desc, v.last_seen desc"
        ),
    },
}
HIDDEN = ("alembic_version", "article_bands", "article_signatures", "article_schedule")
DESCRIPTIONS = {
    "article_versions": "Every distinct text of every article; searchable (the FTS table "
    "article_search). Our own search, in newsarchive's query syntax: /-/search",
    "captures": "Every archived response and where its record lies in the WARC files.",
    "urls": "Every URL met, normalised; aliases point at the URL their content is filed under.",
    "story_articles": "How each article relates to each story, with the reason.",
    "url_outcomes": "What became of every URL in every crawl run.",
}


def metadata(db_url: str, warc_dir: Path) -> dict[str, Any]:
    """Datasette's metadata for the archive at `db_url` whose WARC files are in `warc_dir`."""
    tables: dict[str, dict[str, Any]] = {name: {"hidden": True} for name in HIDDEN}
    for name, text in DESCRIPTIONS.items():
        tables.setdefault(name, {})["description"] = text
    tables["article_versions"].update(fts_table="article_search", fts_pk="id")
    return {
        "title": "newsarchive",
        "description": "The archive: stories, publishers, articles, their versions and captures.",
        "plugins": {plugin.NAME: {"db_url": db_url, "warc_dir": str(warc_dir)}},
        "databases": {DATABASE: {"tables": tables, "queries": QUERIES}},
    }


def make_datasette(database: Path, db_url: str, warc_dir: Path) -> Any:
    """A Datasette serving `database` (SQLite, read-only) with our metadata, templates and
    plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    if pm.get_plugin(plugin.NAME) is None:
        pm.register(plugin, name=plugin.NAME)
    return Datasette(
        files=[str(database)],
        metadata=metadata(db_url, warc_dir),
        template_dir=str(TEMPLATES),
        settings={"sql_time_limit_ms": 3000, "num_sql_threads": 2},
    )
