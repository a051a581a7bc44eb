"""Every notice kind, in both languages: no word of the other language, no engine jargon, and
docs/notifications.md shows exactly what the renderer sends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vigie.i18n import LOCALES, Locale
from vigie.notify import samples
from vigie.notify.notice import KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"

# Words that exist in one language only (shared ones — incident, urgent, budget, page, routes,
# clubs, admins, webhook, secret, message — are left out).
ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "by",
        "at",
        "for",
        "with",
        "from",
        "to",
        "in",
        "on",
        "now",
        "since",
        "left",
        "burn",
        "rate",
        "window",
        "acknowledged",
        "taken",
        "resolved",
        "state",
        "links",
        "dashboard",
        "error",
        "errors",
        "requests",
        "failing",
        "reason",
        "apps",
        "app",
        "platform",
        "opened",
        "still",
        "ongoing",
        "after",
        "more",
        "open",
        "draft",
        "ready",
        "week",
        "weekly",
        "month",
        "this",
        "who",
        "nobody",
        "reminder",
        "objective",
        "technical",
        "detail",
        "alerting",
        "target",
        "watch",
        "data",
        "no",
        "times",
        "lasted",
        "hit",
        "most",
        "frequent",
        "trouble",
        "affected",
        "deleted",
        "channel",
        "update",
        "its",
        "create",
        "new",
        "sends",
        "nothing",
        "over",
        "right",
        "take",
        "takes",
        "longer",
        "than",
        "used",
        "run",
        "out",
        "being",
        "what",
        "when",
        "ticket",
        "fired",
        "pair",
        "pairs",
        "events",
        "bad",
        "good",
    ]
)
FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "et",
        "est",
        "sont",
        "par",
        "à",
        "au",
        "aux",
        "depuis",
        "pour",
        "sur",
        "requêtes",
        "échouent",
        "erreur",
        "erreurs",
        "pris",
        "charge",
        "résolu",
        "résolus",
        "ouvert",
        "ouverts",
        "toujours",
        "cours",
        "liens",
        "tableau",
        "bord",
        "état",
        "objectif",
        "semaine",
        "mois",
        "rappel",
        "personne",
        "plateforme",
        "applications",
        "application",
        "touchées",
        "brouillon",
        "prêt",
        "ouvrir",
        "en",
        "un",
        "une",
        "qui",
        "aucune",
        "aucun",
        "donnée",
        "données",
        "bilan",
        "fois",
        "reste",
        "dont",
        "tenu",
        "surveiller",
        "alerte",
        "plus",
        "fréquente",
        "fréquentes",
        "consommé",
        "consommés",
        "épuisé",
        "moment",
        "canal",
        "supprimé",
        "créez",
        "mettez",
        "jour",
        "difficulté",
        "sourdine",
        "mettre",
        "prendre",
        "détail",
        "technique",
        "taux",
        "combustion",
        "dépassent",
        "après",
        "dans",
        "ne",
        "rien",
        "panne",
        "prévenus",
        "interrompue",
        "reçoit",
        "cette",
        "lundi",
        "dimanche",
        "mercredi",
        "novembre",
        "décembre",
        "duré",
        "touchés",
        "origine",
        "occupe",
        "restant",
        "raison",
        "fenêtre",
    ]
)
JARGON = ("burn", "combustion")  # fine in the admins' technical field only
_STRIP = re.compile(
    r"\]\([^)]*\)|https?://\S+|<t:\d+:[a-zA-Z]>|<@&?\d+>|INC-[A-Z0-9]+|alerts/clubs\.yaml"
)


def foreign_words(text: str, locale: Locale) -> set[str]:
    """Words of the other language in ``text`` (names and telemetry in it removed first)."""
    for data in sorted(samples.DATA, key=len, reverse=True):
        text = text.replace(data.replace("(", "\\(").replace(")", "\\)"), " ").replace(data, " ")
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", _STRIP.sub(" ", text))}
    return words & (ENGLISH if locale == "fr" else FRENCH)


def test_the_checker_catches_the_old_leaks() -> None:
    assert foreign_words("Raison : 5 of 5 apps page at once", "fr") == {"of", "apps", "at"}
    assert foreign_words("page 1h/5m: burn 61.7 over 1h", "fr") >= {"burn", "over"}
    assert foreign_words("Budget restant -258,8 %", "en") == {"restant"}
    assert foreign_words("Taken by Zoé at 02:14", "en") == set()
    assert foreign_words("Pris en charge par Zoé Tremblay à 02:14", "fr") == set()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_has_a_sample(locale: Locale) -> None:
    assert {s.kind for s in samples.samples(locale)} == set(KINDS)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_word_of_the_other_language_in_any_notice(locale: Locale) -> None:
    for sample in samples.samples(locale):
        for text in samples.visible_text(sample.body()):
            assert foreign_words(text, locale) == set(), (sample.title, text)


@pytest.mark.parametrize("locale", LOCALES)
def test_engine_jargon_only_in_the_admins_technical_field(locale: Locale) -> None:
    for sample in samples.samples(locale):
        body = sample.body()
        technical = [
            f["value"] for e in body.get("embeds", []) for f in e.get("fields", [])
            if "admins" in f["name"]
        ]  # fmt: skip
        assert not technical or sample.notice.channel == "admins", sample.title
        rest = [t for t in samples.visible_text(body) if t not in technical]
        for text in rest:
            assert not any(word in text.lower() for word in JARGON), (sample.title, text)
            assert not re.search(r"\b\d+[mhd]/\d+[mhd]\b", text), (sample.title, text)


def test_french_elides_de_before_a_vowel() -> None:
    texts = [t for s in samples.samples("fr") for t in samples.visible_text(s.body())]
    assert any("Applications d'AlgoÉTS touchées" in t for t in texts)
    assert any("Bilan de la semaine d'AlgoÉTS" in t for t in texts)
    assert not any("de AlgoÉTS" in t for t in texts)


def test_the_doc_shows_what_the_renderer_sends() -> None:
    assert samples.main([str(DOC), "--check"]) == 0, (
        "docs/notifications.md is stale: python -m vigie.notify.samples --write"
    )
