"""Incident and silence API through FastAPI's TestClient, on the embedded engine."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from incident_builders import T0, config, evaluation, target
from tests.apps import app_for, bearer

from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

NOW = T0 + timedelta(minutes=1)
SHOP, CART = target("alpha", "shop"), target("beta", "cart")


@pytest.fixture()
def service(db: Store) -> IncidentService:
    svc = IncidentService(db, config(), Links("https://v", "https://g"), clock=lambda: NOW)
    svc.run_cycle(evaluation(T0, {SHOP: "page", CART: "ticket"}), now=T0)
    return svc


@pytest.fixture()
def client(service: IncidentService) -> TestClient:
    """An admin's client."""
    app = app_for(service)
    return TestClient(app, headers=bearer(app, "admin"))


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
    zoe = bearer(client.app, "captain", "beta", "Zoé (capitaine)")  # type: ignore[arg-type]
    acked = client.post(f"/api/v1/incidents/{cart_id(client)}/ack", headers=zoe)
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


def test_a_captain_sees_and_acts_on_their_club_only(client: TestClient) -> None:
    beta = bearer(client.app, "captain", "beta")  # type: ignore[arg-type]
    listed = client.get("/api/v1/incidents", headers=beta).json()["incidents"]
    assert [i["club"] for i in listed] == ["beta"]
    assert (
        client.get("/api/v1/incidents", headers=beta, params={"club": "alpha"}).status_code == 403
    )
    shop = client.get("/api/v1/incidents", params={"app": "shop"}).json()["incidents"][0]
    # another club's incident answers exactly like an unknown id
    theirs = client.get(f"/api/v1/incidents/{shop['id']}", headers=beta)
    unknown = client.get("/api/v1/incidents/INC-NOPE0000000", headers=beta)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["detail"].replace(shop["id"], "X") == unknown.json()["detail"].replace(
        "INC-NOPE0000000", "X"
    )
    ack = client.post(f"/api/v1/incidents/{shop['id']}/ack", headers=beta, json={"author": "x"})
    assert ack.status_code == 404
    body = {"club": "alpha", "duration": "1h", "author": "b", "comment": "c"}
    assert client.post("/api/v1/silences", headers=beta, json=body).status_code == 403
    assert (
        client.post("/api/v1/silences", headers=beta, json={**body, "club": ""}).status_code == 403
    )
    alpha = client.post("/api/v1/silences", json=body).json()
    assert client.get("/api/v1/silences", headers=beta).json()["silences"] == []
    assert client.delete(f"/api/v1/silences/{alpha['id']}", headers=beta).status_code == 404
    mine = client.post("/api/v1/silences", headers=beta, json={**body, "club": "beta"})
    assert mine.status_code == 201
    assert [s["id"] for s in client.get("/api/v1/silences", headers=beta).json()["silences"]] == [
        mine.json()["id"]
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/incidents", {"since": "0946-10-02T08:48:43Z"}, "since"),
        ("/api/v1/incidents", {"since": "yesterday"}, "since"),
        ("/api/v1/incidents", {"state": "nope"}, "state"),
        ("/api/v1/incidents", {"club": "a b'; DROP"}, "club"),
    ],
)
def test_bad_query_parameters_are_4xx_naming_the_field(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", field]]
    assert "SELECT" not in answer.text and "Traceback" not in answer.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration": "99999999999999h"}, "duration"),
        ({"duration": "400d"}, "duration"),
        ({"ends_at": "0946-10-02T08:48:43Z"}, "ends_at"),
        ({"club": "nope", "duration": "1h"}, "club"),
    ],
)
def test_bad_silences_are_4xx_naming_the_field(
    client: TestClient, body: dict[str, str], field: str
) -> None:
    answer = client.post("/api/v1/silences", json={"author": "m", "comment": "c", **body})
    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_without_its_services_the_api_answers_503(settings: Settings, sample_config: Path) -> None:
    app = create_app(settings, schedule=False)  # lifespan not run: nothing installed yet
    assert TestClient(app).get("/api/v1/incidents").status_code == 503
