"""What a story's replay package holds: which WARC files, and which captures to list as pages.

A read like those in `storage.db.queries`, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import aliased

from storage.db import models as m
from storage.db.queries import unknown_story


@dataclass(frozen=True, slots=True)
class StoryPage:
    """An article of the story, by the capture of its latest version."""

    warc_filename: str
    warc_offset: int
    title: str | None


@dataclass(frozen=True, slots=True)
class StoryFiles:
    name: str
    title: str
    warc_filenames: tuple[str, ...]
    """As captures record them: a name inside the WARC directory, or an absolute path."""
    pages: tuple[StoryPage, ...]
    """In the order the articles' URLs entered the database."""
    articles_without_capture: int
    """Articles whose latest version has no archived capture (WARC writing was off)."""
    unresolved_revisits: int
    """Revisit captures whose original record is not in the database, so not packaged."""
    noarchive: tuple[tuple[str, int, int], ...] = ()
    """(WARC file, offset, length) of the story's captures flagged noarchive, to be left out of
    the package (empty with `include_noarchive`)."""


def story_files(
    engine: Engine, story: str, *, relevant_only: bool = False, include_noarchive: bool = False
) -> StoryFiles:
    """The WARC files holding the story's captures, and its articles as pages.

    The story's captures are those of its articles (and of their aliases: redirect sources,
    canonical variants) and of every page of its publishers (home, sections, feeds, sitemaps,
    robots.txt), plus, for each revisit among them, the original response it refers to, so that
    replay resolves the revisit. Pages are all the articles linked to the story, or with
    `relevant_only` those judged relevant. Captures flagged noarchive (the page asked not to
    be archived, `[archive] noarchive = "flag"`) are named to be left out, and their articles
    are no pages, unless `include_noarchive`. An unknown story raises `UnknownStory`.
    """
    link, capture, url = m.StoryArticle, m.Capture, m.Url
    with engine.connect() as conn:
        found = conn.execute(
            select(m.Story.id, m.Story.title).where(m.Story.name == story)
        ).one_or_none()
        if found is None:
            raise unknown_story(conn, story)
        story_id, title = found
        articles = select(link.url_id).where(link.story_id == story_id)
        publishers = select(m.StorySource.publisher_id).where(m.StorySource.story_id == story_id)
        of_story = or_(
            url.id.in_(articles),
            url.canonical_id.in_(articles),
            url.publisher_id.in_(publishers),
        )
        files = set(
            conn.scalars(
                select(capture.warc_filename)
                .join(url, url.id == capture.url_id)
                .where(of_story)
                .distinct()
            )
        )
        revisit, original = aliased(m.Capture), aliased(m.Capture)
        revisits = (
            select(original.warc_filename)
            .select_from(revisit)
            .join(url, url.id == revisit.url_id)
            .outerjoin(original, original.warc_record_id == revisit.refers_to)
            .where(of_story, revisit.record_type == "revisit")
        )
        files.update(conn.scalars(revisits.where(original.id.is_not(None)).distinct()))
        unresolved = conn.scalar(
            select(func.count()).select_from(revisits.where(original.id.is_(None)).subquery())
        )
        version = m.ArticleVersion
        pages_query = (
            select(capture.warc_filename, capture.warc_offset, version.title)
            .select_from(link)
            .join(version, version.id == link.version_id)
            .outerjoin(capture, capture.id == version.capture_id)
            .where(link.story_id == story_id)
            .order_by(link.url_id)
        )
        if relevant_only:
            pages_query = pages_query.where(link.relevant.is_(True))
        flagged: list[tuple[str, int, int]] = []
        if not include_noarchive:
            pages_query = pages_query.where(
                or_(capture.noarchive.is_(None), capture.noarchive.is_(False))
            )
            flagged = [
                (name, offset, length)
                for name, offset, length in conn.execute(
                    select(capture.warc_filename, capture.warc_offset, capture.warc_length)
                    .join(url, url.id == capture.url_id)
                    .where(of_story, capture.noarchive.is_(True))
                )
            ]
        pages, without_capture = [], 0
        for filename, offset, page_title in conn.execute(pages_query):
            if filename is None:
                without_capture += 1
            else:
                pages.append(StoryPage(filename, offset, page_title))
    return StoryFiles(
        name=story,
        title=title,
        warc_filenames=tuple(sorted(files)),
        pages=tuple(pages),
        articles_without_capture=without_capture,
        unresolved_revisits=unresolved or 0,
        noarchive=tuple(flagged),
    )
