"""The incident state machine, table-driven: timelines of verdicts → events → folded state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incident_builders import T0, alerts, replay, target

from vigie.incidents.model import SILENT_SLO
from vigie.incidents.state import apply, fold

SHOP = target("alpha", "shop")
TICK = timedelta(seconds=30)


def kinds_of(states: list[str], **policy: object) -> list[tuple[str, str]]:
    """(event kind, slo) of a timeline of one SLO's states, one per 30 s tick."""
    events, _ = replay(
        ((T0 + i * TICK, {SHOP: s}) for i, s in enumerate(states)), alerts(policy or None)
    )
    return [(e.kind, "telemetry" if e.slo == SILENT_SLO else e.severity) for e in events]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param(["ok", "ok"], [], id="healthy: nothing"),
        pytest.param(["ticket", "ticket"], [("opened", "ticket")], id="one open incident per SLO"),
        pytest.param(
            ["ticket", "page", "page"],
            [("opened", "ticket"), ("escalated", "page")],
            id="ticket escalates to page",
        ),
        pytest.param(
            ["page", "ticket", "ticket"],
            [("opened", "page"), ("deescalated", "ticket")],
            id="page → ticket while errors go on: de-escalates",
        ),
        pytest.param(
            ["page", "page/past", "ticket/past", "ticket/past", "ticket/past", "page/past"],
            [("opened", "page"), ("calm", "page"), ("calm", "page"), ("resolved", "page")],
            id="page resolves once the recent SLI is back, whatever the slow pairs say",
        ),
        pytest.param(
            ["page", "page/past", "page/past", "page/past", "ticket/past", "ticket", "ticket"],
            [
                ("opened", "page"),
                ("calm", "page"),
                ("calm", "page"),
                ("resolved", "page"),
                ("reopened", "ticket"),
            ],
            id="errors again after resolving: the same incident reopens",
        ),
        pytest.param(
            ["ticket", "ticket/past", "ticket/past", "ticket/past", "ticket/past"],
            [("opened", "ticket")],
            id="a ticket is no page: a quiet recent SLI does not resolve a slow burn",
        ),
        pytest.param(
            ["page", "ok", "ok", "ok", "ok"],
            [("opened", "page"), ("calm", "page"), ("calm", "page"), ("resolved", "page")],
            id="resolves after 3 ok evaluations",
        ),
        pytest.param(
            ["page", "ok", "ok", "page", "ok", "ok", "ok"],
            [
                ("opened", "page"),
                ("calm", "page"),
                ("calm", "page"),
                ("refired", "page"),
                ("calm", "page"),
                ("calm", "page"),
                ("resolved", "page"),
            ],
            id="a re-fire restarts the calm count",
        ),
        pytest.param(
            ["page", "low_traffic", "low_traffic", "low_traffic", "ok"],
            [("opened", "page"), ("calm", "page")],
            id="low_traffic freezes",
        ),
        pytest.param(
            ["no_data", "no_data"], [("opened", "telemetry")], id="no_data: telemetry stopped"
        ),
        pytest.param(
            ["page", "no_data", "no_data", "ok", "ok", "ok", "ok"],
            [
                ("opened", "page"),
                ("opened", "telemetry"),
                ("calm", "page"),
                ("calm", "telemetry"),
                ("calm", "page"),
                ("calm", "telemetry"),
                ("resolved", "page"),
                ("resolved", "telemetry"),
            ],
            id="no_data freezes the SLO incident and opens the telemetry one",
        ),
    ],
)
def test_timelines(states: list[str], expected: list[tuple[str, str]]) -> None:
    assert kinds_of(states) == expected


def test_resolve_after_is_configurable() -> None:
    assert kinds_of(["ticket", "ok"], resolve_after_evaluations=1) == [
        ("opened", "ticket"),
        ("resolved", "ticket"),
    ]


@pytest.mark.parametrize(
    ("gap", "same_incident"),
    [(timedelta(minutes=10), True), (timedelta(minutes=59), True), (timedelta(minutes=61), False)],
)
def test_flap_reopens_the_same_incident_within_the_window(
    gap: timedelta, same_incident: bool
) -> None:
    resolved_at = T0 + 3 * TICK
    steps = [
        (T0, {SHOP: "page"}),
        *((T0 + i * TICK, {SHOP: "ok"}) for i in (1, 2, 3)),
        (resolved_at + gap, {SHOP: "ticket"}),
    ]
    events, incidents = replay(steps, alerts({"flap_reopen_within": "1h"}))
    assert events[3].kind == "resolved"
    last = events[-1]
    assert (last.kind, last.incident_id == events[0].incident_id) == (
        ("reopened", True) if same_incident else ("opened", False)
    )
    current = incidents[last.incident_id]
    assert current.is_open and current.severity == "ticket" and current.since == resolved_at + gap
    if same_incident:
        assert current.reopen_count == 1 and current.opened_at == T0
        assert "flap_reopen_within" in last.reason


def test_every_event_carries_its_cause() -> None:
    events, incidents = replay([(T0, {SHOP: "page"}), (T0 + TICK, {SHOP: "ok"})])
    opened, calm = events
    fired = opened.cause["fired"]
    assert {p["pair"] for p in fired} == {"page 1h/5m", "page 6h/30m"}
    assert all(p["long_burn"] >= p["factor"] for p in fired)
    assert opened.cause["burn_rates"]["1h"] == fired[0]["long_burn"]
    assert opened.cause["budget_remaining"] == 0.5
    assert opened.reason == "page verdict"
    assert calm.cause["calm"] == 1 and calm.cause["needed"] == 3
    assert "1 of 3" in calm.reason
    assert incidents[opened.incident_id].calm == 1


def test_each_slo_and_app_has_its_own_incident() -> None:
    latency = target("alpha", "shop", "latency")
    other = target("beta", "shop")
    _, incidents = replay([(T0, {SHOP: "page", latency: "ticket", other: "page"})])
    keys = sorted(i.key for i in incidents.values())
    assert keys == [
        ("alpha", "shop", "", "availability"),
        ("alpha", "shop", "", "latency"),
        ("beta", "shop", "", "availability"),
    ]
    assert len({i.id for i in incidents.values()}) == 3
    assert all(i.id.startswith("INC-") and len(i.id) == 14 for i in incidents.values())


def test_an_slo_leaving_the_config_resolves_its_incident() -> None:
    other = target("alpha", "cart")
    events, _ = replay([(T0, {SHOP: "page", other: "ok"}), (T0 + TICK, {other: "ok"})])
    assert [e.kind for e in events] == ["opened", "resolved"]
    assert "no longer in the configuration" in events[-1].reason


def test_fold_is_order_independent_and_ignores_duplicate_rows() -> None:
    events, incidents = replay(
        (T0 + i * TICK, {SHOP: s}) for i, s in enumerate(["ticket", "page", "ok", "ok", "ok"])
    )
    shuffled = [*reversed(events), events[1]]
    assert fold(shuffled) == incidents
    with pytest.raises(ValueError, match="not opened"):
        apply(None, events[1])
