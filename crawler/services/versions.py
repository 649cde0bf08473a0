"""What a capture of an article is to the archive: a wall, the same text, or a new version of a
kind. The one `Decide` the repository is handed by every door (the crawl's store pipeline,
ingest, recovery, `verify --repair`) and that re-extraction applies: a page suspected of a wall
is settled against the article's last open version or the feed's description
(`crawler.versions.access.judge_access`), and an open text is compared with the last open version
under the story's `[versions]` rules (`crawler.versions.kinds.classify_edit`).
"""

from __future__ import annotations

from crawler.core.access import AccessCheck
from crawler.core.story import Story
from crawler.core.versioning import Decide, Judgement, Version, VersionRules
from crawler.versions.access import judge_access
from crawler.versions.kinds import classify_edit


def decider(rules: VersionRules | None = None) -> Decide:
    """The judgement of captures under `rules` (a story's `[versions]` table; the defaults
    without a story)."""
    rules = rules or VersionRules()

    def decide(
        previous: Version | None,
        new: Version | None,
        access: AccessCheck,
        description: str | None,
    ) -> Judgement:
        settled = judge_access(
            access,
            new.text if new is not None else None,
            previous=previous.text if previous is not None else None,
            description=description,
            rules=rules,
        )
        if settled.walled or new is None:
            return Judgement(settled, False)
        if previous is None:
            return Judgement(settled, True)
        edit = classify_edit(previous, new, rules)
        return Judgement(settled, edit.new_version, edit)

    return decide


def story_decider(story: Story | None) -> Decide:
    """`decider` with the story's `[versions]` rules, the defaults without one."""
    return decider(story.versions if story is not None else None)
