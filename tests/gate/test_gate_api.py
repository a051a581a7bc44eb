"""The rollout gate through FastAPI, on spans written through the version rollup's view.

Replays: an app at 200 requests a minute (club-sized, busy), its canary at 10 % of the traffic.
Every instant is relative to the engine's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.apps import bearer, services_for
from tests.incidents.incident_builders import config, evaluation

from vigie.config.slo import SloFile
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.server import api_app
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluator
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

FILES = [SloFile.model_validate({
    "app": "shop", "club": "alpha",
    "slos": [
        {"name": "availability", "objective": 99.9, "sli": {"kind": "availability"}},
        {"name": "fast", "objective": 99, "sli": {"kind": "latency", "threshold_ms": 100}},
    ],
})]
TARGETS = targets_from_files(FILES)
STABLE, CANARY = "1.4.2", "1.5.0"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _engine_minute(db: Store) -> datetime:
    (seconds,) = db.query("SELECT toUnixTimestamp(now())").rows[0]
    return datetime.fromtimestamp(seconds // 60 * 60, UTC)


@pytest.fixture()
def start(db: Store) -> datetime:
    """The canary's first minute: 30 minutes ago, after an hour of stable traffic alone."""
    return _engine_minute(db) - timedelta(minutes=30)


def _traffic(db: Store, version: str, start: datetime, minutes: int, per_minute: float,
             *, failing_share: float = 0.0, duration_ms: float = 20.0) -> None:
    """``per_minute`` requests, ``failing_share`` of them failing (two interleaved streams)."""
    span = timedelta(minutes=minutes)
    bad = per_minute * failing_share
    if per_minute - bad > 0:
        insert_traffic(db, service="shop", start=start, duration=span, version=version,
                       per_minute=per_minute - bad, duration_ms=duration_ms)
    if bad:
        insert_traffic(db, service="shop", start=start + timedelta(seconds=1), duration=span,
                       version=version, per_minute=bad, error_every=1, duration_ms=duration_ms)


def _client(db: Store, clock: Clock, club: str = "alpha") -> tuple[TestClient, IncidentService]:
    """A client holding the token of ``club``'s captain (the gate itself needs none)."""
    incidents = IncidentService(db, config(), Links("https://v", "https://g"), clock=clock)
    evaluator = Evaluator(db, TARGETS, clock=clock)
    app = api_app(services_for(incidents, clock=clock, evaluator=evaluator))
    client = TestClient(app)
    if _has_tokens(db):
        client.headers.update(bearer(app, "captain", club))
    return client, incidents


def _has_tokens(db: Store) -> bool:
    return bool(db.query("EXISTS TABLE vigie_api_tokens").scalar())


def _gate(client: TestClient, **params: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/gate/alpha/shop", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _first_verdict(db: Store, start: datetime, want: str, minutes: int) -> int | None:
    """Minutes after the canary's start when the gate first answers ``want``."""
    clock = Clock(start)
    client, _ = _client(db, clock)
    for minute in range(1, minutes + 1):
        clock.now = start + timedelta(minutes=minute)
        if _gate(client, canary=CANARY, stable=STABLE)["verdict"] == want:
            return minute
    return None


def test_a_canary_failing_30_percent_fails_within_3_minutes(db: Store, start: datetime) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180)
    _traffic(db, CANARY, start, 30, 20, failing_share=0.3)
    assert (_first_verdict(db, start, "fail", 10) or 99) <= 3
    client, _ = _client(db, Clock(start + timedelta(minutes=3)))
    body = _gate(client, canary=CANARY, stable=STABLE)
    assert body["ok"] is False
    assert "availability" in body["reason"] and "worse than stable" in body["reason"]


def test_a_canary_as_good_as_stable_passes(db: Store, start: datetime) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180, failing_share=0.01)
    _traffic(db, CANARY, start, 30, 20, failing_share=0.01)
    client, _ = _client(db, Clock(start + timedelta(minutes=10)))
    body = _gate(client, canary=CANARY)  # stable: every other version
    assert (body["verdict"], body["ok"]) == ("ok", True), body["reason"]
    assert [s["failed"] for s in body["analysis"]["slos"]] == [False, False]


def test_five_requests_are_inconclusive(db: Store, start: datetime) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180)
    _traffic(db, CANARY, start, 5, 1, failing_share=1.0)
    client, _ = _client(db, Clock(start + timedelta(minutes=6)))
    body = _gate(client, canary=CANARY, stable=STABLE)
    assert (body["verdict"], body["ok"]) == ("inconclusive", None)
    assert "served 5 requests" in body["reason"]


def test_a_clean_canary_ships_while_stable_burns(db: Store, start: datetime) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180, failing_share=0.3)
    _traffic(db, CANARY, start, 30, 20)
    clock = Clock(start + timedelta(minutes=10))
    client, _ = _client(db, clock)
    assert _gate(client, canary=CANARY, stable=STABLE)["verdict"] == "ok"
    # Judged as a whole, the burning app fails: the canary analysis is what lets the fix out.
    whole = _gate(client)
    assert (whole["verdict"], whole["analysis"]["mode"]) == ("fail", "whole_app")


def test_a_slow_canary_fails_on_latency(db: Store, start: datetime) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180)
    _traffic(db, CANARY, start, 30, 20, duration_ms=400)
    client, _ = _client(db, Clock(start + timedelta(minutes=5)))
    body = _gate(client, canary=CANARY, stable=STABLE)
    assert body["verdict"] == "fail"
    failed = {s["slo"] for s in body["analysis"]["slos"] if s["failed"]}
    assert failed == {"fast"}


def test_without_a_canary_the_whole_app_is_judged(db: Store, start: datetime) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180)
    client, _ = _client(db, Clock(start + timedelta(minutes=10)))
    body = _gate(client)
    assert (body["verdict"], body["ok"], body["analysis"]["blocking"]) == ("ok", True, [])
    assert body["analysis"]["slos"] == {"availability": "ok", "fast": "ok"}


def test_a_store_that_cannot_answer_is_503(store: Store) -> None:
    client, _ = _client(store, Clock(_engine_minute(store)))  # no tables: every query fails
    assert client.get("/api/v1/gate/alpha/shop", params={"canary": CANARY}).status_code == 503
    answer = client.get("/api/v1/gate/alpha/shop")
    assert answer.status_code == 503 and "SELECT" not in answer.text


def test_without_the_club_s_token_the_gate_gives_the_verdict_only(
    db: Store, start: datetime
) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180)
    _traffic(db, CANARY, start, 30, 20, failing_share=0.3)
    client, _ = _client(db, Clock(start + timedelta(minutes=5)), club="beta")
    full = _gate(client, canary=CANARY)
    assert full["verdict"] == "fail" and set(full) == {"at", "verdict", "ok", "failed_slos",
                                                        "override"}
    assert full["failed_slos"] == ["availability"]
    client.headers.pop("Authorization")
    assert _gate(client, canary=CANARY) == full
    mine, _ = _client(db, Clock(start + timedelta(minutes=5)))
    assert "significantly worse than stable" in _gate(mine, canary=CANARY)["reason"]


def test_bad_parameters_and_unknown_apps(db: Store, start: datetime) -> None:
    client, _ = _client(db, Clock(start))
    assert client.get("/api/v1/gate/alpha/nope").status_code == 404
    assert client.get("/api/v1/gate/alpha/shop", params={"window": 0}).status_code == 422
    assert client.get("/api/v1/gate/alpha/shop", params={"stable": "1"}).status_code == 422


def test_an_override_lets_the_fix_ship_and_is_in_the_incident_timeline(
    db: Store, start: datetime
) -> None:
    _traffic(db, STABLE, start - timedelta(hours=1), 90, 180, failing_share=0.3)
    clock = Clock(start + timedelta(minutes=10))
    client, incidents = _client(db, clock)
    shop = TARGETS[0]
    incidents.run_cycle(evaluation(clock.now, {shop: "page"}), now=clock.now)
    assert _gate(client)["verdict"] == "fail"
    body = {"duration": "2h", "reason": "the fix for the pool exhaustion", "author": "marie"}
    opened = client.post("/api/v1/gate/alpha/shop/override", json=body)
    assert opened.status_code == 201 and opened.json()["active"] is True
    answer = _gate(client)
    assert (answer["verdict"], answer["ok"]) == ("ok", True)
    assert answer["override"]["id"] == opened.json()["id"]
    assert answer["analysis"]["verdict"] == "fail"  # what the gate would have said
    assert "marie" not in str(answer)  # the open gate names nobody
    (incident,) = incidents.find(club="alpha", app="shop")
    _, events = incidents.get(incident.id)
    assert [(e.kind, e.author) for e in events][-1] == ("gate_override", "marie")
    assert incidents.get(incident.id)[0].reason == events[0].reason  # the reason stays
    # Time-boxed: two hours later the gate judges again.
    clock.now += timedelta(hours=2)
    assert _gate(client)["override"] is None
    # Closing early, refusals.
    clock.now -= timedelta(hours=1)
    closed = client.delete(f"/api/v1/gate-overrides/{opened.json()['id']}",
                           params={"author": "marie"})
    assert closed.status_code == 200 and closed.json()["active"] is False
    assert _gate(client)["override"] is None
    too_long = {**body, "duration": "3d"}
    assert client.post("/api/v1/gate/alpha/shop/override", json=too_long).status_code == 422
    assert client.post("/api/v1/gate/alpha/nope/override", json=body).status_code == 404
    assert client.delete("/api/v1/gate-overrides/OVR-NOPE",
                         params={"author": "x"}).status_code in (403, 404)


def test_overrides_need_the_club(db: Store, start: datetime) -> None:
    client, _ = _client(db, Clock(start), club="beta")
    body = {"duration": "1h", "reason": "r", "author": "a"}
    # another club's app answers like an unknown one
    assert client.post("/api/v1/gate/alpha/shop/override", json=body).status_code == 404
    assert client.post("/api/v1/gate/alpha/shop/override", json=body,
                       headers={"Authorization": ""}).status_code == 401
