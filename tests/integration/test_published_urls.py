"""Fetch as published: a site that answers an article only at the URL its feed gave, tracking
query included (crawler/simweb/tracking.py), crawled as a user would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.simweb import SimWeb
from crawler.simweb.tracking import TrackingSite
from storage.db.engine import open_database
from storage.db.models import ArticleVersion, Capture, Url, UrlForm
from storage.warcscan import ScannedRecord, scan
from tests.integration.conftest import CrawlRun, crawl, run_newsarchive

pytestmark = pytest.mark.slow


def _story(web: SimWeb, site: TrackingSite) -> str:
    """The demo story with the tracking publisher as its only source."""
    head = web.story_toml().split("[[sources]]", 1)[0]
    return head + (
        "[[sources]]\n"
        'name = "Tracking Tribune"\n'
        f'url = "{site.base_url}"\n'
        f"feeds = {json.dumps(site.feeds)}\n"
        "follow = 1\n"
    )


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CrawlRun, TrackingSite]]:
    with SimWeb(tracking_publisher=True) as web:
        site = web.tracking
        assert site is not None
        run = crawl(web, tmp_path_factory.mktemp("tracking"), _story(web, site))
        assert run.result.returncode == 0, run.result.stderr[-4000:]
        yield run, site


def test_every_article_is_stored_under_its_normalised_url(
    tracked: tuple[CrawlRun, TrackingSite],
) -> None:
    run, site = tracked
    engine = open_database(run.db_url)
    with Session(engine) as session:
        stored = set(
            session.scalars(select(Url.url).join(ArticleVersion, ArticleVersion.url_id == Url.id))
        )
    engine.dispose()
    assert stored == set(site.normalised_urls())


def test_each_article_is_requested_once_as_published(
    tracked: tuple[CrawlRun, TrackingSite],
) -> None:
    run, site = tracked
    paths = run.web.log.paths_fetched(site.host)
    stories = [p for p in paths if p.startswith("/story/")]
    # one request per article, to one of its two published forms; never the bare URL
    assert len(stories) == len(site.normalised_urls())
    published = {u.removeprefix(site.base_url.rstrip("/")) for u in site.published_urls()}
    home = {u.removeprefix(site.base_url.rstrip("/")) for u in site.home_urls()}
    assert set(stories) <= published | home


def test_the_archive_holds_the_published_url(tracked: tuple[CrawlRun, TrackingSite]) -> None:
    run, site = tracked
    targets = {
        item.record.target_uri
        for path in sorted((run.data / "warc").glob("*.warc.gz"))
        for item in scan(path)
        if isinstance(item, ScannedRecord)
        and item.record.rec_type == "response"
        and "/story/" in (item.record.target_uri or "")
    }
    assert len(targets) == len(site.normalised_urls())
    assert targets <= set(site.published_urls()) | set(site.home_urls())
    engine = open_database(run.db_url)
    with Session(engine) as session:
        captured = set(
            session.scalars(
                select(Url.url).join(Capture, Capture.url_id == Url.id).where(Capture.status == 200)
            )
        )
    engine.dispose()
    assert set(site.normalised_urls()) <= captured


def test_both_published_forms_are_aliases(tracked: tuple[CrawlRun, TrackingSite]) -> None:
    run, site = tracked
    engine = open_database(run.db_url)
    with Session(engine) as session:
        forms = {f: u for f, u in session.execute(select(UrlForm.form, Url.url).join(Url))}
    engine.dispose()
    for form, home_form, url in zip(
        site.published_urls(), site.home_urls(), site.normalised_urls(), strict=True
    ):
        assert forms.get(form) == url
        assert forms.get(home_form) == url


def test_history_and_export_use_the_identity(
    tracked: tuple[CrawlRun, TrackingSite], tmp_path: Path
) -> None:
    run, site = tracked
    done = run_newsarchive("history", site.published_urls()[0], "--data", str(run.data))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == site.normalised_urls()[0]
    out = tmp_path / "out.jsonl"
    done = run_newsarchive("export", "--data", str(run.data), "-o", str(out))
    assert done.returncode == 0, done.stderr
    urls = {json.loads(line)["url"] for line in out.read_text().splitlines()}
    assert urls == set(site.normalised_urls())


def test_ingest_maps_the_published_records_to_the_same_identity(
    tracked: tuple[CrawlRun, TrackingSite], tmp_path: Path
) -> None:
    """The door (`crawler.services.exchange`) files a record whose target URI is a published
    form under its normalised URL, and records the form, whoever reads it."""
    run, site = tracked
    data = tmp_path / "b"
    files = sorted(str(p) for p in (run.data / "warc").glob("*.warc.gz"))
    done = run_newsarchive(
        "ingest", *files, "--data", str(data), "--story", str(run.story), "--progress", "0"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    with Session(engine) as session:
        stored = set(
            session.scalars(select(Url.url).join(ArticleVersion, ArticleVersion.url_id == Url.id))
        )
        forms = {f: u for f, u in session.execute(select(UrlForm.form, Url.url).join(Url))}
    engine.dispose()
    assert stored == set(site.normalised_urls())
    fetched = {form: url for form, url in forms.items() if "/story/" in form}
    assert set(fetched.values()) == set(site.normalised_urls())  # the forms that were archived
