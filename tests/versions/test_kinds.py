"""Every edit says what kind it is: one test per kind, corrections in six languages, stealth only
where no notice was added, and the story's ignore patterns and thresholds respected."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from crawler.core.article import Article
from crawler.core.versioning import KINDS, Version, VersionRules, compile_ignore
from crawler.versions.kinds import classify_edit, is_new_version
from crawler.versions.notices import notice_kind

EN = [
    "LISBON, Feb. 12 (Wirefront Daily) - The city council approved a plan on Tuesday to rebuild "
    "the old tram depot as housing for three hundred families.",
    "The plan, which has been debated for more than two years, will cost about 40 million euros "
    "and take four years to complete.",
    "Opponents said the depot should have been kept as a museum, and a petition signed by 12,000 "
    "residents was handed to the mayor.",
    "Work is due to start in the autumn, once the last trams have been moved to a new site by "
    "the river.",
]
ES = [
    "El puente de Triana volvió a abrirse al paso de peatones el jueves por la mañana después de "
    "ocho meses de trabajos de restauración en su estructura de hierro.",
    "Las obras, financiadas por el Ayuntamiento y por fondos europeos, han sustituido cerca de "
    "cuatrocientas piezas dañadas por la corrosión.",
    "Cientos de vecinos cruzaron el puente durante la primera hora, muchos de ellos con "
    "fotografías antiguas en la mano para comparar el resultado.",
]
DE = [
    "Die Bahn will die Strecke zwischen Hamburg und Berlin im kommenden Jahr für fünf Monate "
    "sperren, um Gleise, Weichen und Stellwerke zu erneuern.",
    "Fernzüge sollen in dieser Zeit über Uelzen und Stendal umgeleitet werden, was die Fahrzeit "
    "um etwa eine Dreiviertelstunde verlängert.",
    "Der Fahrgastverband kritisierte die Pläne und forderte einen besseren Ersatzverkehr mit "
    "Bussen für die kleineren Orte entlang der Strecke.",
]
BASE = Version("Council approves tram depot housing", "\n".join(EN), ("Ana Costa",))


def edited(paragraphs: list[str], base: Version = BASE, **changes: object) -> Version:
    return replace(base, text="\n".join(paragraphs), **changes)


def kinds(new: Version, old: Version = BASE, rules: VersionRules | None = None) -> set[str]:
    return set(classify_edit(old, new, rules).kinds)


def reworded(paragraph: str, old: str, new: str) -> str:
    assert old in paragraph
    return paragraph.replace(old, new)


STEALTH_EDIT = reworded(
    EN[2], "a petition signed by 12,000 residents was handed to the mayor", "the mayor refused"
)
LEDE_EDIT = reworded(
    EN[0], "The city council approved a plan on Tuesday to rebuild", "Councillors voted to turn"
)
FIGURE_EDIT = EN[2].replace("12,000", "15,000")
DATE_EDIT = EN[0].replace("Feb. 12", "Feb. 13").replace("Tuesday", "Wednesday")
NEW_FIRST = "A new first paragraph that now leads the whole story about the depot."
CORRECTION = "Correction: An earlier version of this article misstated the number of signatures."
UPDATE = "Update: A spokesperson said a full statement would be published later this week."
UPDATE_TIMED = "UPDATE (16:40 GMT): Officials confirmed the figures in a written statement."
APPENDED = "Organisers said a timetable would be published on their website in the coming days."
MIDDLE = "The depot opened in 1901 and closed to trams in 1998, after a fire."
MEETING = "Update: The mayor said on Wednesday she would meet the petitioners."
REMOVED_NOTE = "Correction: This article has been corrected to remove a claim."


@pytest.mark.parametrize(
    ("name", "new", "expected", "stealth"),
    [
        (
            "headline",
            replace(BASE, title="Council backs housing at the depot"),
            {"headline"},
            False,
        ),
        ("lede", edited([LEDE_EDIT, *EN[1:]]), {"lede"}, False),
        ("new lede first", edited([NEW_FIRST, *EN]), {"lede"}, False),
        ("correction", edited([*EN, CORRECTION]), {"correction"}, False),
        ("update note", edited([*EN, UPDATE]), {"update"}, False),
        ("update first", edited([UPDATE_TIMED, *EN]), {"update"}, False),
        ("appended paragraph", edited([*EN, APPENDED]), {"update"}, False),
        (
            "appended sentence",
            edited([*EN[:3], EN[3] + " A vote follows in May."]),
            {"update"},
            False,
        ),
        ("removal", edited([*EN[:2], EN[3]]), {"removal"}, True),
        ("dateline", edited([DATE_EDIT, *EN[1:]]), {"dateline"}, False),
        ("substantive", edited([*EN[:2], STEALTH_EDIT, EN[3]]), {"substantive"}, True),
        ("a figure changed", edited([*EN[:2], FIGURE_EDIT, EN[3]]), {"substantive"}, True),
        ("a paragraph in the middle", edited([*EN[:2], MIDDLE, *EN[2:]]), {"substantive"}, True),
        (
            "substantive with a correction",
            edited([*EN[:2], FIGURE_EDIT, EN[3], CORRECTION]),
            {"substantive", "correction"},
            False,
        ),
        (
            "substantive with an update",
            edited([*EN[:2], STEALTH_EDIT, EN[3], MEETING]),
            {"substantive", "update"},
            False,
        ),
        (
            "removal with a correction",
            edited([*EN[:2], EN[3], REMOVED_NOTE]),
            {"removal", "correction"},
            False,
        ),
        (
            "a correction in the last paragraph's text",
            edited([*EN[:3], EN[3] + " Correction: the site by the river was misnamed earlier."]),
            {"correction"},
            False,
        ),
    ],
)
def test_each_kind_of_edit(name: str, new: Version, expected: set[str], stealth: bool) -> None:
    edit = classify_edit(BASE, new)
    assert edit.new_version
    assert set(edit.kinds) == expected, name
    assert edit.stealth is stealth, name
    assert list(edit.kinds) == [k for k in KINDS if k in expected]


@pytest.mark.parametrize(
    ("base", "notice", "where"),
    [
        (EN, "Correction: An earlier version of this article misstated the credit.", "end"),
        (EN, "Editor's note: This article was changed to add the council's response.", "end"),
        (EN, "Clarification: A previous version of this story did not say who paid.", "start"),
        (ES, "Corrección: Una versión anterior de este artículo atribuía la foto a otro.", "end"),
        (ES, "Fe de erratas: en la versión anterior se indicó que duraron seis meses.", "start"),
        (ES, "Nota de la redacción: este artículo ha sido corregido.", "end"),
        (DE, "Korrektur: In einer früheren Version dieses Artikels hieß es vier Monate.", "end"),
        (DE, "Berichtigung: Die Umleitung führt nicht über Wittenberge.", "start"),
        (DE, "Anmerkung der Redaktion: Dieser Artikel wurde korrigiert.", "end"),
        (EN, "Rectificatif : une précédente version de cet article indiquait 30 millions.", "end"),
        (EN, "Correção: Uma versão anterior deste texto informava outro custo.", "end"),
        (EN, "Errata corrige: nella prima versione il costo era indicato in 30 milioni.", "end"),
    ],
)
def test_corrections_in_several_languages(base: list[str], notice: str, where: str) -> None:
    old = edited(base)
    new = edited([*base, notice] if where == "end" else [notice, *base])
    edit = classify_edit(old, new)
    assert edit.kinds == ("correction",)
    assert not edit.stealth
    assert edit.notices == (notice,)


@pytest.mark.parametrize(
    "notice",
    [
        "UPDATE 2: Police said two more people had been arrested.",
        "Update, Feb. 13, 3:40 p.m.: The council postponed the vote.",
        "Actualización: el Ayuntamiento confirmó la fecha de la reapertura.",
        "Aktualisierung, 14:30 Uhr: Die Bahn hat den Termin bestätigt.",
        "Mise à jour : la mairie a confirmé la date.",
        "Atualização: a prefeitura confirmou a data.",
        "Aggiornamento: il comune ha confermato la data.",
        "This story has been updated with comment from the ministry.",
    ],
)
def test_update_notices_in_several_languages(notice: str) -> None:
    assert kinds(edited([*EN, notice])) == {"update"}
    assert notice_kind(notice) == "update"


@pytest.mark.parametrize(
    "prose",
    [
        "Correction officers said the prison held twice as many inmates as it was built for.",
        "Updated figures released on Monday show a rise in the number of visitors.",
        "Officials said an update would follow, and that the text was corrected by the clerk.",
        "Die Korrektur der Zahlen dauerte mehrere Wochen.",
    ],
)
def test_prose_about_corrections_is_no_notice(prose: str) -> None:
    assert notice_kind(prose) is None
    assert kinds(edited([*EN[:2], prose, *EN[2:]])) == {"substantive"}


def test_a_removal_in_another_language_is_stealth() -> None:
    edit = classify_edit(edited(DE), edited([DE[0], DE[2]]))
    assert edit.kinds == ("removal",) and edit.stealth


def test_dates_alone_are_a_dateline_but_numbers_alone_are_not() -> None:
    time = edited([*EN[:3], EN[3] + " Work starts at 10:30 on Monday."])
    later = edited([*EN[:3], EN[3] + " Work starts at 11:45 on Monday."])
    assert kinds(later, time) == {"dateline"}
    day = edited([*EN[:3], EN[3].replace("in the autumn", "on 13.09.2025")])
    assert kinds(edited([*EN[:3], EN[3].replace("in the autumn", "on 14.09.2025")]), day) == {
        "dateline"
    }
    assert kinds(edited([EN[0].replace("three hundred", "four hundred"), *EN[1:]])) == {"lede"}
    may = edited([*EN[:3], EN[3].replace("in the autumn", "in May")])
    june = edited([*EN[:3], EN[3].replace("in the autumn", "in June")])
    assert kinds(june, may) == {"dateline"}  # 'May' is a month beside another month
    might = edited([*EN[:3], EN[3].replace("is due to", "may")])
    assert kinds(might) == {"substantive"}  # and a verb beside a verb


def test_a_headline_that_changed_only_its_date_is_a_dateline() -> None:
    old = replace(BASE, title="Live: council votes on the tram depot, 12 February")
    new = replace(BASE, title="Live: council votes on the tram depot, 13 February")
    assert kinds(new, old) == {"dateline"}


def test_other_authors_alone_are_a_byline_edit_but_no_new_version() -> None:
    """A version is its title and text (crawler/core/normalise.py), as the simulated web's truth
    has it too: a byline change alone is told, not stored as a version."""
    edit = classify_edit(BASE, replace(BASE, authors=("Rui Pereira",)))
    assert not edit.new_version
    assert edit.kinds == ("byline",) and not edit.stealth
    assert not is_new_version(BASE, replace(BASE, authors=("ana  costa",)))
    with_text = replace(BASE, authors=("Rui Pereira",), text="\n".join([*EN, APPENDED]))
    assert classify_edit(BASE, with_text).kinds == ("update", "byline")


def test_a_byline_in_the_text_changes_with_the_authors() -> None:
    old = replace(BASE, text="\n".join(["By Ana Costa", *EN]))
    new = replace(old, text="\n".join(["By Rui Pereira", *EN]), authors=("Rui Pereira",))
    assert kinds(new, old) == {"byline"}


def test_no_change_is_no_version() -> None:
    edit = classify_edit(BASE, BASE)
    assert not edit.new_version and edit.kinds == () and not edit.stealth
    assert not is_new_version(BASE, replace(BASE, text=BASE.text.replace(" ", "  ")))


def test_timestamps_never_make_a_version() -> None:
    assert not is_new_version(BASE, edited([*EN, "Updated 3 minutes ago"]))


def test_ignore_patterns_suppress_versions() -> None:
    counted = edited([*EN, "1,234 views"])
    more = edited([*EN, "1,240 views"])
    assert is_new_version(counted, more)
    rules = VersionRules(ignore=(compile_ignore(r"[\d,]+ views"),))
    assert not is_new_version(counted, more, rules)
    assert not is_new_version(BASE, more, rules)
    # an ignored line is matched whole: the same words inside a paragraph still count
    inside = edited([*EN[:3], EN[3] + " The video had 1,240 views."])
    assert classify_edit(BASE, inside, rules).kinds == ("update",)


def test_min_changed_words() -> None:
    typo = edited([*EN[:3], EN[3].replace("river", "rivers")])
    assert is_new_version(BASE, typo)
    assert not is_new_version(BASE, typo, VersionRules(min_changed_words=3))
    headline = replace(BASE, title="Council backs tram depot housing")  # 1 word out, 1 in
    assert is_new_version(BASE, headline, VersionRules(min_changed_words=2))
    assert not is_new_version(BASE, headline, VersionRules(min_changed_words=3))


def test_a_paragraph_replaced_in_its_place_is_reworded_not_removed() -> None:
    """Another paragraph put where one was is a change of wording (the simulated web's truth
    says so of a one-sentence paragraph whose sentence was replaced); a removal is a paragraph
    that went with nothing in its place."""
    replaced = "They said the mayor had refused to meet the residents who organised the petition."
    assert kinds(edited([*EN[:2], replaced, EN[3]])) == {"substantive"}
    assert kinds(edited([*EN[:1], replaced, EN[3]])) == {"substantive", "removal"}
    first = "An entirely different first paragraph about something else that now leads."
    assert kinds(edited([first, *EN[1:]])) == {"lede"}


def test_a_real_article_edited() -> None:
    """A benchmark article's text (AEB ground truth) as the first version."""
    aeb = Path(__file__).parents[2] / "bench" / "data" / "aeb" / "ground-truth.json"
    truth = json.loads(aeb.read_text())
    body = next(v["articleBody"] for v in truth.values() if v["articleBody"].count("\n") > 8)
    paragraphs = [p for p in body.split("\n") if p.strip()]
    old = Version("A headline", "\n".join(paragraphs))
    note = "Correction: An earlier version of this article misstated the date of the report."
    assert classify_edit(old, edited([*paragraphs, note], old)).kinds == ("correction",)
    middle = len(paragraphs) // 2
    cut = classify_edit(old, edited(paragraphs[:middle] + paragraphs[middle + 1 :], old))
    assert cut.kinds == ("removal",) and cut.stealth


def test_version_of_an_article() -> None:
    article = Article(
        title="T", authors=("A",), published=None, modified=None, language="en", site_name=None,
        canonical_url=None, description=None, text="one\ntwo", text_sha256="x", word_count=2,
    )  # fmt: skip
    assert Version.of(article) == Version("T", "one\ntwo", ("A",))
