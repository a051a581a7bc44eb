"""The probe, certificate and Kubernetes sentences pass the notices' language checks: no word
of the other language, no engine jargon (tests/notify/test_samples.py's checkers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.notify.test_samples import JARGON, foreign_words

from vigie.i18n import LOCALES, Locale
from vigie.notify.embeds import fact_text
from vigie.notify.texts import Texts

AT = int(datetime(2026, 12, 7, 19, 2, tzinfo=UTC).timestamp())  # only formatted, never stored
FACTS = [
    ("https://club.example/", AT, "error", kind)
    for kind in ("refused", "timeout", "dns", "tls", "reset", "other")
] + [
    ("https://club.example/", AT, "503", ""),
    ("https://club.example/", AT, "invalid", ""),
    ("https://club.example/", AT, "certificate", ""),
] + [
    ("site-web-7c9d-x2k4p", AT, f"k8s_{kind}", down)
    for kind in ("crashloop", "oom", "image_pull", "scheduling", "quota")
    for down in ("", "down")
]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_fact_sentence_is_plain_and_in_one_language(locale: Locale) -> None:
    t = Texts(locale, "America/Montreal")
    for fact in FACTS:
        text = fact_text(fact, t).replace("https://club.example/", "")
        assert foreign_words(text, locale) == set(), text
        assert not any(word in text.lower() for word in JARGON), text


def test_times_are_the_clubs() -> None:
    text = fact_text(("https://club.example/", AT, "error", "refused"),
                     Texts("fr", "America/Montreal"))
    assert "depuis 14:02 : connexion refusée." in text
