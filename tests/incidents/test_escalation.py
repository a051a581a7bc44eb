"""Escalation of unacknowledged pages, through whole incident cycles on the embedded engine."""

from __future__ import annotations

from datetime import timedelta

from incident_builders import (
    ADMIN_USER,
    CAPTAINS,
    T0,
    RecordingDelivery,
    alerts,
    config,
    evaluation,
    target,
)

from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.notify.notice import ADMINS
from vigie.notify.render import render_message
from vigie.store import Store

MINUTE = timedelta(minutes=1)
SHOP, CART = target("alpha", "shop"), target("beta", "cart")
LINKS = Links("https://vigie.example", "https://grafana.example")


def run(svc: IncidentService, minutes: int, states: dict) -> list[tuple[str, str]]:
    at = T0 + minutes * MINUTE
    outcome = svc.run_cycle(evaluation(at, states), now=at)
    return sorted((n.channel, n.kind) for n in outcome.notices)


def test_a_page_unacknowledged_for_15_minutes_is_escalated_once(
    db: Store, delivery: RecordingDelivery
) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery)
    states = {SHOP: "page", CART: "ticket"}
    for minute in range(15):
        kinds = run(svc, minute, states)
        assert not {"escalation", "reminder"} & {k for _, k in kinds}, minute
    assert run(svc, 15, states) == [(ADMINS, "escalation"), ("alpha", "reminder")]
    escalation = next(n for n in delivery.notices if n.kind == "escalation")
    reminder = next(n for n in delivery.notices if n.kind == "reminder")
    assert escalation.mention_user_ids == (ADMIN_USER,)
    assert reminder.mention_user_ids == (CAPTAINS["alpha"],)
    assert [line.app for line in escalation.lines] == ["shop"]  # the ticket never escalates
    text = render_message(escalation, club_names={"alpha": "Alpha"})["content"]
    assert "depuis 15 min" in text and "shop" in text
    for minute in range(16, 20):  # once per opening
        assert not {"escalation", "reminder"} & {k for _, k in run(svc, minute, states)}


def test_an_acknowledged_page_or_a_disabled_policy_never_escalates(
    db: Store, delivery: RecordingDelivery
) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery, clock=lambda: T0 + MINUTE)
    run(svc, 0, {SHOP: "page"})
    svc.acknowledge(svc.find(app="shop")[0].id, "Zoé")
    quiet = config(alerts(beta={"policy": {"escalate_to": []}}))
    other = IncidentService(db, quiet, LINKS, delivery=delivery)
    for minute in range(1, 20):
        kinds = run(svc if minute < 10 else other, minute, {SHOP: "page", CART: "page"})
        assert not {"escalation", "reminder"} & {k for _, k in kinds}, minute


def test_a_platform_incident_escalates_alone_to_the_admins(
    db: Store, delivery: RecordingDelivery
) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery)
    apps = [target(club, f"app{i}") for i in range(4) for club in ("alpha", "beta", "gamma")]
    for minute in range(16):
        run(svc, minute, {t: "page" for t in apps})
    # One escalation, to the admins, for the platform incident (the apps it covers are listed
    # under it); no reminder to captains who were told the admins are on it.
    (escalation,) = [n for n in delivery.notices if n.kind in ("escalation", "reminder")]
    assert escalation.channel == ADMINS
    platform, *covered = escalation.lines
    assert platform.slo == "(platform)" and len(covered) == 12
