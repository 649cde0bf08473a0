"""Correction and update notices: the paragraphs with which an editor tells readers that an
article changed, in the phrasings newsrooms use in English, Spanish, German, French, Portuguese,
Italian and Dutch.

A notice is recognised in two ways:

- a paragraph (or a sentence) that *starts* with a label and a colon or dash: "Correction:",
  "Editor's note:", "UPDATE 2:", "UPDATE (16:40 GMT):", "Update, Feb. 5, 3:40 p.m.:",
  "Corrección:", "Fe de erratas:", "Korrektur:", "Berichtigung:", "Rectificatif :",
  "Correção:", "Errata corrige:", "Actualización:", "Aktualisierung:", "Mise à jour :"... or
  that is the label alone, as a heading;
- a sentence that says it anywhere: "An earlier version of this article misstated...", "This
  story has been updated...", "Una versión anterior de este artículo...", "In einer früheren
  Version dieses Artikels...", "Cet article a été mis à jour...".

Labels must be followed by a colon or a dash (after an optional number, parenthesis or date), so
that "Correction officers said..." and "Updated figures show..." are prose, not notices.
Matching is on folded text (case and accents ignored). A correction wins over an update when a
sentence is both ("This article has been updated to correct...").
"""

from __future__ import annotations

import re
from typing import Literal

from crawler.core.normalise import fold

NoticeKind = Literal["correction", "update"]

_CORRECTION_LABELS = (
    r"corrections?|clarifications?|editor['\u2019]?s['\u2019]? note|note from the editor"
    r"|correccion|aclaracion"
    r"|fe de erratas|nota del editor|nota de la redaccion|rectificacion|korrektur|berichtigung"
    r"|richtigstellung|korrekturhinweis|anmerkung der redaktion|hinweis der redaktion"
    r"|rectificatif|erratum|note de la redaction|ndlr|correcao|errata(?: corrige)?"
    r"|nota do editor|nota da redacao|esclarecimento|rettifica|correzione|precisazione"
    r"|nota della redazione|correctie|rectificatie|noot van de redactie"
)
_UPDATE_LABELS = (
    r"update[ds]?|actualizacion|actualizado|ultima hora|aktualisierung|aktualisiert"
    r"|nachtrag|mise a jour|maj|actualisation|atualizacao|actualizacao|atualizado|aggiornamento"
    r"|aggiornato|ultim'ora|bijgewerkt"
)
# After the label: a number ("UPDATE 2"), a parenthesis ("(16:40 GMT)") or a short stretch with
# a digit in it ("Feb. 5, 3:40 p.m."), then the colon or dash that makes it a label.
_AFTER_LABEL = (
    r"(?:\s*\d+)?(?:\s*\([^)\n]{0,40}\)|,?\s+(?=[^\n:]{0,40}\d)[^\n]{0,40}?)?"
    r"\s*[:\u2013\u2014-](?:\s|$)"
)
_LEAD = r"^[\W_]*"
"""Asterisks, brackets, dashes or quotes before a label ('*Correction:', '[Update:')."""


def _labelled(labels: str) -> re.Pattern[str]:
    return re.compile(rf"{_LEAD}(?:{labels}){_AFTER_LABEL}|{_LEAD}(?:{labels})[\W_]*$")


_CORRECTION_START = _labelled(_CORRECTION_LABELS)
_UPDATE_START = _labelled(_UPDATE_LABELS)
_ARTICLE = (
    r"(?:article|story|report|post|piece|column|text|articulo|noticia|informacion|texto"
    r"|artikels?|textes|beitrags?|berichts?|reportagem|materia|artigo|articolo|pezzo|stuk)"
)
_CORRECTION_SAYS = re.compile(
    rf"(?:an?|the) (?:earlier|previous|prior|original) version of this {_ARTICLE}"
    rf"|this {_ARTICLE} (?:has been|was) (?:corrected|amended|updated to correct|clarified)"
    rf"|una version anterior de (?:este|esta) {_ARTICLE}"
    rf"|(?:este|esta) {_ARTICLE} (?:ha sido|fue) (?:corregid[oa]|rectificad[oa])"
    rf"|in einer (?:fruheren|vorherigen|ersten) (?:version|fassung) (?:dieses|des) {_ARTICLE}"
    rf"|(?:dieser|der) {_ARTICLE} wurde (?:korrigiert|berichtigt)"
    rf"|une (?:precedente|premiere|ancienne) version de cet {_ARTICLE}"
    rf"|cet {_ARTICLE} a ete (?:corrige|rectifie)"
    rf"|uma versao anterior (?:deste|desta) {_ARTICLE}"
    rf"|(?:este|esta) {_ARTICLE} foi corrigid[oa]"
    rf"|una (?:precedente|prima) versione di questo {_ARTICLE}"
    rf"|questo {_ARTICLE} e stato corretto"
    rf"|in een eerdere versie van dit {_ARTICLE}"
)
_UPDATE_SAYS = re.compile(
    rf"this {_ARTICLE} (?:has been|was|will be) updated"
    rf"|(?:este|esta) {_ARTICLE} (?:ha sido|fue|se ha) actualizad[oa]"
    rf"|(?:dieser|der) {_ARTICLE} wurde aktualisiert"
    rf"|cet {_ARTICLE} a ete mis a jour"
    rf"|(?:este|esta) {_ARTICLE} foi atualizad[oa]"
    rf"|questo {_ARTICLE} e stato aggiornato"
    rf"|dit {_ARTICLE} is bijgewerkt"
)
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])\s+")


def notice_kind(paragraph: str) -> NoticeKind | None:
    """Whether `paragraph` is (or holds) a correction or an update notice."""
    folded = fold(paragraph).strip()
    if _CORRECTION_START.match(folded):
        return "correction"
    if _CORRECTION_SAYS.search(folded):
        return "correction"
    if _UPDATE_START.match(folded) or _UPDATE_SAYS.search(folded):
        return "update"
    for sentence in _SENTENCE_END.split(folded)[1:]:
        if _CORRECTION_START.match(sentence):
            return "correction"
        if _UPDATE_START.match(sentence):
            return "update"
    return None


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph (split after '.', '!', '?' or '…' and a space)."""
    return [s for s in _SENTENCE_END.split(paragraph) if s]
