from datetime import date

from crawler.discovery import Lead

SINCE, UNTIL = date(2025, 2, 1), date(2025, 2, 28)


def test_publication_date_decides() -> None:
    assert Lead("u", published=date(2025, 2, 4)).outside(SINCE, UNTIL) is None
    assert "before" in (Lead("u", published=date(2025, 1, 4)).outside(SINCE, UNTIL) or "")
    assert "after" in (Lead("u", published=date(2025, 3, 4)).outside(SINCE, UNTIL) or "")


def test_modification_date_only_rules_out_old_pages() -> None:
    assert Lead("u", modified=date(2025, 1, 4)).outside(SINCE, UNTIL) is not None
    # modified after the window says nothing about when it was published
    assert Lead("u", modified=date(2025, 3, 4)).outside(SINCE, UNTIL) is None
    assert Lead("u").outside(SINCE, UNTIL) is None
    assert Lead("u", published=date(1999, 1, 1)).outside(None, None) is None


def test_hints_are_strings() -> None:
    lead = Lead("u", published=date(2025, 2, 4), title="T", keywords=("a", "b"))
    assert lead.hints() == {"published": "2025-02-04", "title": "T", "keywords": "a, b"}
