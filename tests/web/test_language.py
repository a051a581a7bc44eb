"""No word of the other language, and no engine jargon, on any page or in any report kind.

The vocabulary of each language is every word of its texts (pages and reports); a word that only
the other language uses must not appear in a page's visible text. What users or telemetry wrote
(app names, ids, error messages in code spans) is left out: it is not ours to translate.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from report_seed import Seeded, build_app, post, seed, sign_in

from vigie.reports.render import render_markdown
from vigie.reports.service import ReportService
from vigie.reports.texts import TEXTS
from vigie.store import Store
from vigie.web.texts import UI

WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[A-Za-zÀ-ÿ]+)?")
JARGON = ("no_data", "(telemetry)", "(silent)", "(platform)", "burn", "evaluation(s)", "page 1h")
# Words from telemetry or identifiers that pages show as they are.
NAMES = {"shop", "alpha", "gamma", "Alpha", "Gamma", "Vigie", "Grafana", "Markdown", "UTC",
         "America", "Montreal", "INC", "SEEDED", "RELATED", "OTHERAPP", "wiki", "marie", "ms",
         "PDF", "Discord", "ÉTS", "ClickHouse", "Français", "English"}  # fmt: skip


def _words(strings: list[str]) -> set[str]:
    return {w.lower() for s in strings for w in WORD.findall(re.sub(r"\{[a-z_]+\}", " ", s))}


def _vocabulary(locale: str) -> set[str]:
    return _words([*UI[locale].values(), *TEXTS[locale].values()])


FOREIGN = {
    "fr": _vocabulary("en") - _vocabulary("fr"),
    "en": _vocabulary("fr") - _vocabulary("en"),
}


def visible(html: str) -> str:
    """The text a reader sees (and hovers: titles), without the code spans of telemetry."""
    html = re.sub(r"<(style|script|code|pre)[^>]*>.*?</\1>", " ", html, flags=re.S)
    titles = " ".join(re.findall(r'(?:title|aria-label)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(f"{text} {titles}")


def markdown_prose(text: str) -> str:
    return re.sub(r"`[^`]*`|\([a-z]+://[^)]*\)", " ", text)


def foreign_words(text: str, locale: str) -> set[str]:
    words = {w.lower() for w in WORD.findall(text) if w not in NAMES}
    jargon = {j for j in JARGON if j in text}
    return (words & FOREIGN[locale]) | jargon


def test_the_check_itself_catches_a_leak() -> None:
    assert foreign_words("Taux d'erreur: burn 9.43 over 6h", "fr") >= {"over", "burn"}
    assert foreign_words("Routes touchées : aucune", "en") == {"aucune", "touchées"}


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db, resolved=False)


def _pages(client: TestClient, seeded: Seeded, token: str) -> dict[str, str]:
    client.cookies.set("vigie_token", token)
    inc = seeded.incident_id
    report = f"/incidents/{inc}/report"
    post(client, report, data={"version": "1", "section_summary": "x", "note_1_at": "",
                              "note_1_text": "", "intent": "save"})  # fmt: skip
    return {
        "list": client.get("/incidents").text,
        "incident": client.get(f"/incidents/{inc}").text,
        "editor": client.get(report).text,
        "preview": post(client, report, data={"version": "2", "intent": "preview"}).text,
        "published": client.get("/reports").text,
        "unknown": client.get("/incidents/INC-NOPE").text,
        "other club": client.get(f"/incidents/{seeded.other_id}").text,
    }


@pytest.mark.parametrize(("club", "locale"), [("alpha", "fr"), ("gamma", "en")])
def test_every_page_in_the_readers_language_only(db: Store, club: str, locale: str) -> None:
    seeded = seed(db, resolved=False)
    service = seeded.service
    if locale == "en":  # the seeded incidents are alpha's: read them as an English admin
        app = build_app(service)
        client = TestClient(app, follow_redirects=False)
        token = sign_in(client, "admin", "", "ops")
        assert (
            post(client, "/language", data={"lang": "en", "next": "/incidents"}).status_code == 303
        )
    else:
        app = build_app(service)
        client = TestClient(app, follow_redirects=False)
        token = sign_in(client, "captain", club, "marie")
    pages = _pages(client, seeded, token)
    assert f'<html lang="{locale}">' in pages["list"]
    for name, html in pages.items():
        if name == "preview" and locale == "en":
            continue  # the preview is the document, in its club's language (alpha: French)
        assert not foreign_words(visible(html), locale), (
            name,
            foreign_words(visible(html), locale),
        )
    login = client.get("/login", params={"lang": locale}).text
    assert not foreign_words(visible(login), locale)


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("kind", ["standard", "security"])
def test_every_report_kind_in_its_language_only(db: Store, locale: str, kind: str) -> None:
    seeded = seed(db, resolved=True)
    reports = ReportService(seeded.service)
    draft = reports.draft(seeded.incident_id, kind=kind)  # type: ignore[arg-type]
    draft = type(draft)(**{**draft.__dict__, "locale": locale})
    text = markdown_prose(render_markdown(draft))
    assert not foreign_words(text, locale), foreign_words(text, locale)
