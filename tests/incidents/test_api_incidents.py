"""Incident and silence API through FastAPI's TestClient, on the embedded engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from incident_builders import T0, config, evaluation, target

from vigie.api import incidents as api
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.store import Store
from vigie.web.auth import Principal

NOW = T0 + timedelta(minutes=1)
SHOP, CART = target("alpha", "shop"), target("beta", "cart")


@pytest.fixture()
def service(db: Store) -> IncidentService:
    svc = IncidentService(db, config(), Links("https://v", "https://g"), clock=lambda: NOW)
    svc.run_cycle(evaluation(T0, {SHOP: "page", CART: "ticket"}), now=T0)
    return svc


@pytest.fixture()
def client(service: IncidentService) -> TestClient:
    app = FastAPI()
    app.include_router(api.router)
    app.state.incidents = service
    return TestClient(app)


def test_list_and_filter(client: TestClient) -> None:
    body = client.get("/api/v1/incidents").json()
    assert sorted(i["app"] for i in body["incidents"]) == ["cart", "shop"]
    beta = client.get("/api/v1/incidents", params={"club": "beta"}).json()["incidents"]
    assert [(i["app"], i["severity"], i["state"]) for i in beta] == [("cart", "ticket", "open")]
    assert (
        client.get("/api/v1/incidents", params={"app": "shop"}).json()["incidents"][0]["club"]
        == "alpha"
    )
    assert client.get("/api/v1/incidents", params={"state": "resolved"}).json()["incidents"] == []
    assert client.get("/api/v1/incidents", params={"state": "nope"}).status_code == 422
    later = (NOW + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/incidents", params={"since": later}).json()["incidents"] == []


def test_detail_with_events_and_ack(client: TestClient) -> None:
    shop = client.get("/api/v1/incidents", params={"app": "shop"}).json()["incidents"][0]
    detail = client.get(f"/api/v1/incidents/{shop['id']}").json()
    assert [e["kind"] for e in detail["events"]] == ["opened"]
    assert detail["events"][0]["cause"]["fired"][0]["pair"] == "page 1h/5m"
    assert client.get("/api/v1/incidents/INC-NOPE").status_code == 404
    acked = client.post(f"/api/v1/incidents/{shop['id']}/ack", json={"author": "marie"})
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "marie"
    events = client.get(f"/api/v1/incidents/{shop['id']}").json()["events"]
    assert [(e["kind"], e["author"]) for e in events] == [("opened", ""), ("acknowledged", "marie")]
    assert (
        client.get("/api/v1/incidents", params={"state": "acknowledged"}).json()["incidents"][0][
            "id"
        ]
        == shop["id"]
    )
    assert client.post("/api/v1/incidents/INC-NOPE/ack", json={"author": "m"}).status_code == 404
    no_author = client.post(f"/api/v1/incidents/{cart_id(client)}/ack")
    assert no_author.status_code == 422 and "token with a label" in no_author.json()["detail"]


def cart_id(client: TestClient) -> str:
    return str(client.get("/api/v1/incidents", params={"app": "cart"}).json()["incidents"][0]["id"])


def test_ack_without_a_body_takes_the_tokens_label(client: TestClient) -> None:
    @client.app.middleware("http")  # type: ignore[attr-defined]
    async def signed_in(request: Request, call_next: Any) -> Any:
        request.state.principal = Principal("captain", "beta", "Zoé (capitaine)")
        return await call_next(request)

    acked = client.post(f"/api/v1/incidents/{cart_id(client)}/ack")
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == "Zoé (capitaine)"


def test_ack_of_a_resolved_incident_is_a_conflict(
    client: TestClient, service: IncidentService
) -> None:
    for k in (1, 2, 3):
        at = T0 + timedelta(seconds=30 * k)
        service.run_cycle(evaluation(at, {SHOP: "ok", CART: "ticket"}), now=at)
    shop = client.get("/api/v1/incidents", params={"app": "shop"}).json()["incidents"][0]
    assert shop["state"] == "resolved"
    response = client.post(f"/api/v1/incidents/{shop['id']}/ack", json={"author": "marie"})
    assert response.status_code == 409


def test_silences_add_list_expire(client: TestClient) -> None:
    created = client.post(
        "/api/v1/silences",
        json={
            "club": "alpha",
            "app": "shop",
            "duration": "2h",
            "author": "marie",
            "comment": "migration",
        },
    )
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["matchers"] == {"club": "alpha", "app": "shop", "slo": ""}
    assert (
        silence["state"] == "active"
        and silence["ends_at"] == (NOW + timedelta(hours=2)).isoformat()
    )
    listed = client.get("/api/v1/silences").json()["silences"]
    assert [s["id"] for s in listed] == [silence["id"]]
    expired = client.delete(f"/api/v1/silences/{silence['id']}")
    assert expired.status_code == 200 and expired.json()["state"] == "expired"
    assert client.get("/api/v1/silences").json()["silences"] == []
    assert len(client.get("/api/v1/silences", params={"all": "true"}).json()["silences"]) == 1
    assert client.delete("/api/v1/silences/SIL-NOPE").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"author": "m", "comment": "c"},  # no end
        # fixed date: refused input, nothing stored
        {"author": "m", "comment": "c", "duration": "1h", "ends_at": "2026-12-01T00:00:00Z"},
        # fixed date: refused input (in the past), nothing stored
        {"author": "m", "comment": "c", "ends_at": "2026-11-01T00:00:00Z"},
        {"author": "", "comment": "c", "duration": "1h"},
        {"author": "m", "comment": "c", "duration": "1h", "severity": "page"},  # unknown key
    ],
)
def test_bad_silences_are_refused(client: TestClient, body: dict) -> None:
    assert client.post("/api/v1/silences", json=body).status_code == 422


def test_auth_hook_is_consulted(client: TestClient) -> None:
    seen: list[tuple[str, str | None]] = []

    def only_beta(request: Request, action: str, club: str | None) -> None:
        seen.append((action, club))
        if club != "beta":
            raise HTTPException(403, "captains of beta only")

    client.app.state.authorize = only_beta  # type: ignore[attr-defined]
    assert client.get("/api/v1/incidents").status_code == 403
    assert client.get("/api/v1/incidents", params={"club": "beta"}).status_code == 200
    shop = client.app.state.incidents.find(app="shop")[0]  # type: ignore[attr-defined]
    assert client.post(f"/api/v1/incidents/{shop.id}/ack", json={"author": "x"}).status_code == 403
    assert ("incidents:ack", "alpha") in seen


def test_without_the_service_503() -> None:
    app = FastAPI()
    app.include_router(api.router)
    assert TestClient(app).get("/api/v1/incidents").status_code == 503
