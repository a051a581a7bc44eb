"""Rendering is a pure function of the report data: both languages, both kinds, escaping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from vigie.reports.model import (
    AppImpact,
    Counted,
    Facts,
    IncidentRecord,
    Latency,
    Related,
    ReportVersion,
    RouteImpact,
    SloInfo,
    TimelineEntry,
    facts_from_dict,
    facts_to_dict,
)
from vigie.reports.render import code, fact_rows, render_markdown
from vigie.reports.texts import duration, percent

T = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def facts(pii: tuple[Counted, ...] | None = None) -> Facts:
    record = IncidentRecord(
        id="INC-ABCDEFGHIJ", club="alpha", app="shop", environment="",
        slos=(SloInfo("availability", 99.9, 30, "availability"),), severity="page",
        state="resolved", opened_at=T, acknowledged_at=T + timedelta(minutes=3),
        acknowledged_by="marie", resolved_at=T + timedelta(minutes=40),
        timeline=(TimelineEntry(T, "opened", "page: burn 14x"),), club_name="Alpha",
    )  # fmt: skip
    return Facts(
        incident=record, impact_start=T - timedelta(minutes=6),
        impact_end=T + timedelta(minutes=36),
        failed=1234, total=56789, peak_error_ratio=0.5, mean_error_ratio=0.0217,
        latency_during=Latency(12.5, 250.0, 900.25), latency_before=Latency(10.0, 80.0, 120.0),
        budget_consumed_pct=23.456, budget_remaining_pct=-3.5,
        routes=(RouteImpact("/api/cart|x", 1200, 3000), RouteImpact("", 34, 9000)),
        error_messages=(Counted("database `is` locked | now", 800),),
        exception_types=(Counted("OperationalError", 700),),
        trace_ids=("0af7651916cd43dd8448eb211c80319c",),
        timeline=(
            TimelineEntry(T - timedelta(minutes=7), "deploy", "service.version 1.1"),
            TimelineEntry(T, "opened", "page: burn 14x"),
            TimelineEntry(T + timedelta(minutes=40), "resolved", "3 calm evaluations"),
        ),
        related=(Related("INC-OLDONE0001", "availability", "ticket", T - timedelta(days=9), None),),
        pii_matches=pii,
        links={"incident": "https://v/incidents/INC-ABCDEFGHIJ", "dashboard": "https://g/d/x",
               "trace:0af7651916cd43dd8448eb211c80319c": "https://g/explore?x"},
    )  # fmt: skip


def version(locale: str, kind: str = "standard", **sections: str) -> ReportVersion:
    pii = (Counted("email", 0), Counted("ipv4", 0)) if kind == "security" else None
    return ReportVersion(
        "INC-ABCDEFGHIJ", 2, kind, locale, "marie", T + timedelta(hours=1),  # type: ignore[arg-type]
        facts(pii), dict(sections),
        ({"action": "Add a pool limit", "type": "prevent", "owner": "léa", "due": "2026-12-01",
          "link": "https://git/x/1"},),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", ["# Post-mortem : shop — disponibilité (INC-ABCDEFGHIJ)", "## Faits",
                "**Requêtes en échec / total** : 1\u202f234 / 56\u202f789",
                "**Taux d'erreur moyen** : 2,17\u00a0%", "**Délai de détection** : 6 min 00 s",
                "**Délai de prise en charge** : 3 min 00 s",
                "**Délai de résolution (depuis le début de l'impact)** : 42 min 00 s",
                "12,5 / 250,0 / 900,2 ms (pendant)\u202f; 10,0 / 80,0 / 120,0 ms (24 h avant)",
                "**Budget d'erreur consommé (fenêtre de 30 j)** : 23,46\u00a0%",
                "**Budget d'erreur restant** : -3,50\u00a0%", "### ✍ Cause racine",
                "**SLO** : disponibilité — 99,90\u00a0% / 30 j", "**Club** : Alpha",
                "**Détection (alerte)** : 2026-11-20 10:00:00 (15:00 UTC)",
                "| Heure (America/Montreal) | Événement |",
                "| déploiement — `version 1.1 déployée` |", "(marie)"]),
        ("en", ["# Postmortem: shop — availability (INC-ABCDEFGHIJ)", "## Facts",
                "**Failed / total requests**: 1,234 / 56,789", "**Mean error ratio**: 2.17%",
                "**Time to detect**: 6 min 00 s", "**Error budget remaining**: -3.50%",
                "### ✍ Root cause", "| deployment — `version 1.1 deployed` |",
                "**SLO**: availability — 99.90% / 30 d", "### ✍ Detection", "### ✍ Communication",
                "**Detection (alert)**: 2026-11-20 10:00:00 (15:00 UTC)"]),
    ],
)  # fmt: skip
def test_markdown_in_each_locale(locale: str, expected: list[str]) -> None:
    text = render_markdown(version(locale))
    for piece in expected:
        assert piece in text, piece
    assert "[0af7651916cd43dd8448eb211c80319c](https://g/explore?x)" in text
    assert "INC-OLDONE0001" in text
    assert "| Add a pool limit | prevent | léa | 2026-12-01 | https://git/x/1 |" in text


def test_prompts_until_filled_then_the_authors_text() -> None:
    empty = render_markdown(version("en"))
    assert "> _Why did it happen? Keep asking why until you reach the cause._" in empty
    filled = render_markdown(version("en", root_cause="The pool had **2** connections."))
    assert "The pool had **2** connections." in filled
    assert "Keep asking why" not in filled
    assert "Which change or event set it off" in filled  # other prompts remain


def test_telemetry_text_cannot_break_tables() -> None:
    text = render_markdown(version("en"))
    assert "| `database 'is' locked \\| now` | 800 |" in text
    assert "| `/api/cart\\|x` | 1,200 | 3,000 |" in text
    assert code("a\nb`c") == "`a b'c`"


def test_security_template_states_and_verifies_no_personal_data() -> None:
    for locale, words in (("en", "give 0 match(es)"), ("fr", "donnent 0 correspondance(s)")):
        text = render_markdown(version(locale, "security"))
        assert words in text
        assert "| `email` | 0 |" in text and "| `ipv4` | 0 |" in text
        assert ("Security incident report" if locale == "en" else "incident de sécurité") in text
        assert ("Containment" if locale == "en" else "Confinement") in text
        assert "Root cause" not in text and "Cause racine" not in text
        rows = dict(fact_rows(version(locale, "security").facts, locale))
        assert words in rows["Data involved" if locale == "en" else "Données concernées"]
        assert "WARNING" not in text and "ATTENTION" not in text
    leaked = replace(version("en", "security"), facts=facts((Counted("email", 2),)))
    assert "give 2 match(es). WARNING: personal data may have been stored" in render_markdown(
        leaked
    )


def test_facts_round_trip_through_json() -> None:
    original = facts((Counted("email", 1),))
    assert facts_from_dict(facts_to_dict(original)) == original


def test_number_formats() -> None:
    assert duration("en", 3725) == "1 h 02 min"
    assert duration("fr", 42) == "42 s"
    assert duration("en", None) == "n/a"
    assert percent("fr", None) == "n/d"


def test_kinds_added_later_are_still_said_in_words() -> None:
    from vigie.reports.model import TimelineEntry
    from vigie.reports.texts import event_label
    from vigie.reports.wording import event_detail

    assert event_label("fr", "digest") == "événement" and event_label("en", "digest") == "event"
    told = TimelineEntry(
        T,
        "notified",
        "admins: escalation",
        {"channel": "admins", "what": "escalation", "state": "sent"},
    )
    assert event_detail("fr", told) == "administrateurs : message envoyé"
    assert event_detail("en", told) == "admins: message sent"


def test_silent_platform_widened_and_deescalated_entries_in_words() -> None:
    from vigie.reports.model import TimelineEntry
    from vigie.reports.wording import event_detail

    since = (T - timedelta(minutes=30)).isoformat()
    silent = TimelineEntry(T, "opened", "x", {"severity": "page", "silent_since": since})
    assert event_detail("fr", silent) == (
        "urgente — l'application ne reçoit plus aucune requête depuis 2026-11-20 09:30:00 "
        "(14:30 UTC)"
    )
    widened = TimelineEntry(T, "widened", "now covers 5 apps", {"severity": "page", "apps": 5})
    assert event_detail("en", widened) == "urgent — 5 app(s) affected at once"
    down = TimelineEntry(T, "deescalated", "x", {"severity": "ticket", "burn": 3.0, "window": "6h",
                                                 "budget": None})  # fmt: skip
    assert event_detail("fr", down).startswith("non urgente — le budget d'erreur s'épuisait 3")


@pytest.mark.parametrize(("locale", "lifetime", "covered"), [
    ("fr", "Durée de l'alerte (déclenchement → résolution)",
     "Applications touchées (2), requêtes en échec / total"),
    ("en", "Alert lifetime (fired → resolved)", "Apps affected (2), failed / total requests"),
])
def test_impact_end_alert_lifetime_and_a_platform_incident_s_apps(
    locale: str, lifetime: str, covered: str
) -> None:
    apps = (AppImpact("alpha", "shop", "", 120, 600), AppImpact("beta", "cart", "prod", 3, 90))
    rows = dict(fact_rows(replace(facts(), covered=apps), locale))  # type: ignore[arg-type]
    assert rows[lifetime] == duration(locale, 40 * 60)  # type: ignore[arg-type]
    ttr = next(v for k, v in rows.items() if k.startswith(("Délai de résolution", "Time to res")))
    assert ttr == duration(locale, 42 * 60)  # type: ignore[arg-type]  # impact, not the alert
    colon = " : " if locale == "fr" else ": "
    assert rows[covered] == f"alpha/shop{colon}120 / 600; beta/cart (prod){colon}3 / 90"
    assert not any(k.startswith(("Applications touchées", "Apps affected"))
                   for k in dict(fact_rows(facts(), locale)))  # type: ignore[arg-type]
