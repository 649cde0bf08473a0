"""Re-extraction in the database: which captures to extract again, and storing what came out.

The captures of one article come together (ordered by the article their URL is filed under, then
by fetch time), so that a batch holds whole articles. Within an article, a run of consecutive
captures whose text is the same maps to one version: an existing version with that text when there
is one (the version first made from a capture of the run, if any), else a new one, numbered after
the article's highest. Captures that this extractor and these options extracted before, in an
earlier batch or an earlier run, take part in the runs with the versions they map to, so a run
interrupted between batches ends as one that was not.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, func, not_, or_, select

from crawler.core.access import OPEN, AccessCheck
from crawler.core.article import Article, Extraction, Relevance
from crawler.core.page import HTML_TYPES
from crawler.core.urls import host_of
from crawler.core.versioning import Decide, Version
from storage.db import models as m
from storage.db.bulk import chunks
from storage.db.queries import unknown_story
from storage.db.records import target_url
from storage.db.urls import UrlRow, upsert_urls
from storage.db.versions import (
    ExtractorKey,
    bump_last_seen,
    current_versions,
    extraction_row,
    insert_versions,
    max_version_numbers,
    upsert_extractions,
    upsert_story_links,
    version_row,
)

ERROR_PREFIX = "error"
"""An extraction whose reason starts with this failed (a crashed worker, a bug): not final, so a
capture with only such a row is extracted again."""


@dataclass(frozen=True, slots=True)
class CaptureToExtract:
    """A stored response to extract again, and where its record is."""

    id: int
    url: str
    """The URL the response came from (normalised)."""
    publisher_host: str | None
    fetched_at: datetime
    warc_filename: str
    warc_offset: int
    article_key: int
    """The URL the capture's URL is filed under: captures of one article share it."""
    flags: tuple[str, ...] = ()
    """What is wrong with its record (`crawler.core.capture.FLAGS`)."""


@dataclass(frozen=True, slots=True)
class Reextracted:
    """One capture extracted again."""

    capture_id: int
    url: str
    publisher_host: str | None
    fetched_at: datetime
    extraction: Extraction
    access: AccessCheck = OPEN
    """What the page showed, from the page alone (the door's judgement)."""


@dataclass(frozen=True, slots=True)
class JudgingStory:
    """A story whose articles are judged again: its id, its publishers, and its rule."""

    id: int
    publisher_ids: frozenset[int]
    score: Callable[[Article], Relevance]


@dataclass(frozen=True, slots=True)
class StoryDefinition:
    id: int
    name: str
    definition: str | None
    """The story file's text; None for a story stored before definitions were kept."""
    publisher_ids: frozenset[int]


@dataclass(slots=True)
class ReextractCounts:
    articles: int = 0
    """Captures whose extraction is an article."""
    not_articles: int = 0
    unchanged: int = 0
    """Article captures whose text is that of an existing version."""
    new_versions: int = 0
    story_links: int = 0
    """Story judgements added or changed."""
    walled: int = 0
    """Captures that showed a wall in the article's place: no version."""

    def add(self, other: ReextractCounts) -> None:
        self.walled += other.walled
        self.articles += other.articles
        self.not_articles += other.not_articles
        self.unchanged += other.unchanged
        self.new_versions += other.new_versions
        self.story_links += other.story_links


def story_definitions(engine: Engine, name: str | None = None) -> list[StoryDefinition]:
    """Every story (or the one named) with its definition and publishers; an unknown name raises
    `UnknownStory`."""
    with engine.connect() as conn:
        stmt = select(m.Story.id, m.Story.name, m.Story.definition).order_by(m.Story.name)
        if name is not None:
            stmt = stmt.where(m.Story.name == name)
        stories = conn.execute(stmt).all()
        if name is not None and not stories:
            raise unknown_story(conn, name)
        sources: dict[int, set[int]] = defaultdict(set)
        for story_id, publisher_id in conn.execute(
            select(m.StorySource.story_id, m.StorySource.publisher_id)
        ):
            sources[story_id].add(publisher_id)
    return [
        StoryDefinition(id_, name_, definition, frozenset(sources[id_]))
        for id_, name_, definition in stories
    ]


def _selection(
    key: ExtractorKey | None, publisher_ids: frozenset[int] | None, since: datetime | None
) -> ColumnElement[bool]:
    """Which captures re-extraction reads: 2xx responses and resources (not revisit records:
    their body is another capture's) that are HTML by their Content-Type, or name none and were
    found to be a page (sniffed) when they were stored: the door decides again, by the same rule;
    and without `key`'s final extraction (when `key` is given)."""
    capture = m.Capture
    content_type = func.lower(capture.content_type)
    was_a_page = exists().where(m.Extraction.capture_id == capture.id)
    conditions: list[ColumnElement[bool]] = [
        capture.record_type.in_(("response", "resource")),
        capture.status.between(200, 299),
        or_(
            and_(capture.content_type.is_(None), was_a_page),
            *(content_type.startswith(t) for t in HTML_TYPES),
        ),
    ]
    if key is not None:
        done = m.Extraction
        conditions.append(
            not_(
                exists().where(
                    done.capture_id == capture.id,
                    done.extractor == key.extractor,
                    done.options_digest == key.options_digest,
                    or_(done.reason.is_(None), not_(done.reason.startswith(ERROR_PREFIX))),
                )
            )
        )
    if publisher_ids is not None:
        conditions.append(m.Url.publisher_id.in_(sorted(publisher_ids)))
    if since is not None:
        conditions.append(capture.fetched_at >= since)
    return and_(*conditions)


def count_captures(
    engine: Engine,
    key: ExtractorKey | None,
    *,
    publisher_ids: frozenset[int] | None = None,
    since: datetime | None = None,
) -> int:
    """How many captures `captures_to_extract` yields with the same arguments."""
    stmt = (
        select(func.count(m.Capture.id))
        .join(m.Url, m.Url.id == m.Capture.url_id)
        .where(_selection(key, publisher_ids, since))
    )
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def captures_to_extract(
    engine: Engine,
    key: ExtractorKey | None,
    *,
    publisher_ids: frozenset[int] | None = None,
    since: datetime | None = None,
) -> Iterator[CaptureToExtract]:
    """The captures to extract again, streamed, those of one article together in fetch order.

    With `key`, captures that extractor and options extracted already are left out (without it,
    all of them: `--all`); with `publisher_ids`, only captures of those publishers; with `since`,
    only captures fetched then or later.
    """
    capture, url = m.Capture, m.Url
    article_key = func.coalesce(url.canonical_id, url.id)
    stmt = (
        select(
            capture.id,
            url.url,
            m.Publisher.host,
            capture.fetched_at,
            capture.warc_filename,
            capture.warc_offset,
            article_key,
            capture.flags,
        )
        .join(url, url.id == capture.url_id)
        .outerjoin(m.Publisher, m.Publisher.id == url.publisher_id)
        .where(_selection(key, publisher_ids, since))
        .order_by(article_key, capture.fetched_at, capture.id)
    )
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=1000).execute(stmt):
            id_, url_, host, fetched_at, filename, offset, article, flags = row
            yield CaptureToExtract(
                id_,
                url_,
                host,
                fetched_at,
                filename,
                offset,
                article,
                tuple(flags.split(",")) if flags else (),
            )


def store_reextracted(
    conn: Connection,
    results: Sequence[Reextracted],
    stories: Sequence[JudgingStory] = (),
    decide: Decide | None = None,
) -> ReextractCounts:
    """Record each capture's new extraction, adding versions only for texts no version holds, and
    judge the articles whose current version may have changed again for `stories`. A capture
    that shows a wall (from the page alone, or a suspected one `decide` settles against the
    article's text before it) makes no version; a new version gets its edit kinds against the
    text of the run of captures before it, when this batch holds it."""
    counts = ReextractCounts()
    ordered = sorted(results, key=lambda r: (r.extraction.extractor, r.extraction.options_digest))
    for (extractor, digest), group in groupby(
        ordered, key=lambda r: (r.extraction.extractor, r.extraction.options_digest)
    ):
        counts.add(_store(conn, ExtractorKey(extractor, digest), list(group), stories, decide))
    return counts


@dataclass(slots=True)
class _Point:
    """One capture in an article's timeline."""

    fetched_at: datetime
    capture_id: int
    text_sha256: str
    result: Reextracted | None
    """The extraction of this batch; None for a capture extracted before."""
    version_id: int | None
    """The version a capture extracted before maps to."""


@dataclass(slots=True)
class _StoredVersion:
    id: int
    number: int
    text_sha256: str
    capture_id: int | None
    published: date | None


@dataclass(slots=True)
class _Plan:
    """What one batch writes."""

    new_rows: list[dict[str, Any]] = field(default_factory=list)
    widen: dict[int, tuple[datetime | None, datetime]] = field(default_factory=dict)
    extractions: list[tuple[Reextracted, int | tuple[int, int] | None]] = field(
        default_factory=list
    )
    """Each capture with its version: an id, (url id, number) of a new one, or None."""


def _store(
    conn: Connection,
    key: ExtractorKey,
    results: Sequence[Reextracted],
    stories: Sequence[JudgingStory],
    decide: Decide | None = None,
) -> ReextractCounts:
    counts = ReextractCounts()
    plan = _Plan()
    walled = [r for r in results if r.access.walled]
    results = [r for r in results if not r.access.walled]
    plan.extractions.extend((r, None) for r in walled)
    counts.walled += len(walled)
    articles: dict[int, list[Reextracted]] = defaultdict(list)
    targets = {
        r.capture_id: target_url(r.url, r.extraction.article)
        for r in results
        if r.extraction.article is not None
    }
    url_ids = upsert_urls(
        conn,
        {
            target: UrlRow(r.fetched_at, r.publisher_host or host_of(target), None)
            for r in results
            if (target := targets.get(r.capture_id)) is not None
        },
    )
    for r in results:
        if r.capture_id in targets:
            articles[url_ids[targets[r.capture_id]]].append(r)
        else:
            plan.extractions.append((r, None))
            counts.not_articles += 1
    article_ids = sorted(articles)
    stored = _stored_versions(conn, article_ids)
    batch = {r.capture_id for r in results}
    earlier = _earlier_extractions(conn, article_ids, key, batch)
    numbers = max_version_numbers(conn, article_ids)
    for url_id, found in articles.items():
        found = _settled(found, decide, plan, counts)
        timeline = [
            _Point(r.fetched_at, r.capture_id, _sha(r), r, None) for r in found
        ] + earlier.get(url_id, [])
        timeline.sort(key=lambda p: (p.fetched_at, p.capture_id))
        before: Version | None = None
        for _, grouped in groupby(timeline, key=lambda p: p.text_sha256):
            run = list(grouped)
            _map_run(
                url_id, run, stored.get(url_id, []), numbers, key, plan, counts, before, decide
            )
            fresh = next((p.result for p in run if p.result is not None), None)
            article = fresh.extraction.article if fresh is not None else None
            before = Version.of(article) if article is not None else None
        counts.articles += len(found)

    version_ids: dict[tuple[int, int], int] = insert_versions(conn, plan.new_rows)
    bump_last_seen(conn, plan.widen)
    upsert_extractions(
        conn,
        [
            extraction_row(
                r.capture_id,
                r.extraction,
                version_ids[version] if isinstance(version, tuple) else version,
                r.access,
            )
            for r, version in plan.extractions
        ],
    )
    if stories and article_ids:
        counts.story_links = _judge(conn, article_ids, key, stories)
    return counts


def _settled(
    found: list[Reextracted], decide: Decide | None, plan: _Plan, counts: ReextractCounts
) -> list[Reextracted]:
    """The article captures of one article that are not walls: a suspected one is settled by
    `decide` against the article capture before it in this batch (its last open text)."""
    if decide is None:
        return found
    kept: list[Reextracted] = []
    for r in sorted(found, key=lambda r: (r.fetched_at, r.capture_id)):
        assert r.extraction.article is not None
        if r.access.suspect is not None:
            previous = kept[-1].extraction.article if kept else None
            judged = decide(
                Version.of(previous) if previous is not None else None,
                Version.of(r.extraction.article),
                r.access,
                None,
            )
            if judged.access.walled:
                plan.extractions.append((dataclasses.replace(r, access=judged.access), None))
                counts.walled += 1
                continue
        kept.append(r)
    return kept


def _sha(result: Reextracted) -> str:
    assert result.extraction.article is not None
    return result.extraction.article.text_sha256


def _map_run(
    url_id: int,
    run: list[_Point],
    stored: Sequence[_StoredVersion],
    numbers: dict[int, int],
    key: ExtractorKey,
    plan: _Plan,
    counts: ReextractCounts,
    before: Version | None = None,
    decide: Decide | None = None,
) -> None:
    """Give a run of captures with one text its version: the one captures extracted before map
    to, else a stored version with that text (the one made from a capture of the run first), else
    a new one, whose edit kinds are judged against `before` (the text of the run before it, when
    known)."""
    fresh = [p.result for p in run if p.result is not None]
    if not fresh:
        return
    sha = run[0].text_sha256
    in_run = {p.capture_id for p in run}
    version: int | tuple[int, int] | None = next(
        (p.version_id for p in run if p.version_id is not None), None
    )
    if version is None:
        same = sorted(
            (v for v in stored if v.text_sha256 == sha),
            key=lambda v: (v.capture_id in in_run, v.number),
        )
        version = same[-1].id if same else None
    if version is None:
        first = fresh[0]
        assert first.extraction.article is not None
        number = numbers[url_id] = numbers.get(url_id, 0) + 1
        edit = None
        if before is not None and decide is not None:
            edit = decide(before, Version.of(first.extraction.article), first.access, None).edit
        row = version_row(
            url_id,
            number,
            first.extraction.article,
            key.extractor,
            first.capture_id,
            run[0].fetched_at,
            edit=edit,
        )
        row["last_seen"] = run[-1].fetched_at
        if row["published"] is None:
            # The date a feed or sitemap gave the crawl is not in the page: keep the one the
            # article's other versions have.
            row["published"] = next(
                (v.published for v in sorted(stored, key=lambda v: -v.number) if v.published),
                None,
            )
        plan.new_rows.append(row)
        counts.new_versions += 1
        version = (url_id, number)
    else:
        counts.unchanged += len(fresh)
        assert isinstance(version, int)
        first_seen, last_seen = plan.widen.get(version, (run[0].fetched_at, run[-1].fetched_at))
        plan.widen[version] = (
            min(first_seen or run[0].fetched_at, run[0].fetched_at),
            max(last_seen, run[-1].fetched_at),
        )
    plan.extractions.extend((r, version) for r in fresh)


def _stored_versions(conn: Connection, url_ids: Sequence[int]) -> dict[int, list[_StoredVersion]]:
    version = m.ArticleVersion
    found: dict[int, list[_StoredVersion]] = defaultdict(list)
    for chunk in chunks(url_ids):
        for url_id, id_, number, sha, capture_id, published in conn.execute(
            select(
                version.url_id,
                version.id,
                version.version,
                version.text_sha256,
                version.capture_id,
                version.published,
            ).where(version.url_id.in_(chunk))
        ):
            found[url_id].append(_StoredVersion(id_, number, sha, capture_id, published))
    return found


def _earlier_extractions(
    conn: Connection, url_ids: Sequence[int], key: ExtractorKey, batch: set[int]
) -> dict[int, list[_Point]]:
    """The captures of these articles that `key` extracted before, outside this batch."""
    x, version, capture = m.Extraction, m.ArticleVersion, m.Capture
    found: dict[int, list[_Point]] = defaultdict(list)
    for chunk in chunks(url_ids):
        rows = conn.execute(
            select(
                version.url_id, capture.fetched_at, x.capture_id, version.text_sha256, x.version_id
            )
            .join(version, version.id == x.version_id)
            .join(capture, capture.id == x.capture_id)
            .where(
                version.url_id.in_(chunk),
                x.extractor == key.extractor,
                x.options_digest == key.options_digest,
            )
        )
        for url_id, fetched_at, capture_id, sha, version_id in rows:
            if capture_id not in batch:
                found[url_id].append(_Point(fetched_at, capture_id, sha, None, version_id))
    return found


def _judge(
    conn: Connection, url_ids: Sequence[int], key: ExtractorKey, stories: Sequence[JudgingStory]
) -> int:
    """Judge each article's current version again for the stories that watch its publisher or
    have judged it before; write the judgements that changed. Returns how many did."""
    current = current_versions(conn, url_ids, key)
    version, url, link = m.ArticleVersion, m.Url, m.StoryArticle
    texts: dict[int, tuple[int | None, Article]] = {}
    linked: dict[tuple[int, int], tuple[Any, ...]] = {}
    ids = sorted(v.id for v in current.values() if v.id is not None)
    for chunk in chunks(ids):
        for row in conn.execute(
            select(
                version.url_id,
                url.publisher_id,
                version.title,
                version.authors,
                version.published,
                version.modified,
                version.language,
                version.site_name,
                version.description,
                version.text,
                version.text_sha256,
                version.word_count,
            )
            .join(url, url.id == version.url_id)
            .where(version.id.in_(chunk))
        ):
            texts[row.url_id] = (
                row.publisher_id,
                Article(
                    title=row.title,
                    authors=tuple(row.authors),
                    published=row.published,
                    modified=row.modified,
                    language=row.language,
                    site_name=row.site_name,
                    canonical_url=None,
                    description=row.description,
                    text=row.text,
                    text_sha256=row.text_sha256,
                    word_count=row.word_count,
                ),
            )
    for chunk in chunks(url_ids):
        for judgement in conn.execute(
            select(
                link.story_id,
                link.url_id,
                link.relevant,
                link.relevance_score,
                link.matched_terms,
                link.reason,
                link.version_id,
            ).where(link.url_id.in_(chunk))
        ):
            linked[(judgement.story_id, judgement.url_id)] = tuple(judgement)[2:]
    changed = 0
    for story in stories:
        judged: dict[int, tuple[Relevance, int]] = {}
        for url_id, (publisher_id, article) in texts.items():
            before = linked.get((story.id, url_id))
            if before is None and publisher_id not in story.publisher_ids:
                continue
            relevance = story.score(article)
            version_id = current[url_id].id
            assert version_id is not None
            after = (
                relevance.relevant,
                relevance.score,
                list(relevance.matched_terms),
                relevance.reason,
                version_id,
            )
            if before is None or tuple(before) != after:
                judged[url_id] = (relevance, version_id)
        changed += upsert_story_links(conn, story.id, judged)
    return changed
