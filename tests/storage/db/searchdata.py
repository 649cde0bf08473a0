"""A small archive for the search tests: articles whose versions add and remove "CECOT"."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db.repository import Repository

from .factories import OTHER, at, capture, page

BASE = "http://news.example:8080/"
ELSEWHERE = "https://other.example/"


@dataclass(frozen=True)
class Edit:
    url: str
    minute: int
    title: str
    text: str


EDITS = (
    # A: CECOT removed in version 2, the version 3 adds another sentence.
    Edit(f"{BASE}a", 0, "Inside the prison", "The CECOT prison in Tecoluca holds gang members."),
    Edit(f"{BASE}a", 60, "Inside the prison", "The prison in Tecoluca holds gang members."),
    Edit(
        f"{BASE}a",
        120,
        "Inside the prison",
        "The prison in Tecoluca holds gang members. Bukele visited.",
    ),
    # B: one version that names CECOT in its title only.
    Edit(f"{BASE}b", 10, "Bukele offers CECOT", "El Salvador offered to house deported prisoners."),
    # C: another publisher; deportation, no CECOT.
    Edit(f"{ELSEWHERE}c", 20, "Deportation flights", "Flights landed in El Salvador at night."),
    # D: unrelated.
    Edit(f"{BASE}d", 30, "Harbour strike", "The dockers went on strike at the harbour."),
    # E: CECOT added in version 2, with a change elsewhere too; version 3 edits around it.
    Edit(f"{BASE}e", 40, "Transfer deal", "The deal sends detainees to a prison."),
    Edit(
        f"{BASE}e",
        100,
        "Transfer deal",
        "The deal sends detainees to the CECOT, a terrorism confinement center.",
    ),
    Edit(
        f"{BASE}e",
        160,
        "Transfer deal signed",
        "The deal sends 238 detainees to the CECOT, a terrorism confinement center.",
    ),
)


def write_archive(repo: Repository, story_id: int) -> None:
    """Each edit as one crawl batch: a capture and its page, a new version of the article."""
    for n, edit in enumerate(EDITS):
        publisher = OTHER if edit.url.startswith(ELSEWHERE) else None
        extra = {"publisher": publisher} if publisher else {}
        repo.write_batch(
            [capture(edit.url, f"s{n}", fetched_at=at(edit.minute))],
            [
                page(
                    edit.url,
                    f"s{n}",
                    text=edit.text,
                    title=edit.title,
                    fetched_at=at(edit.minute),
                    **extra,
                )
            ],
            story_id,
        )
