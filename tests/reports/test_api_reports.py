"""The report API through TestClient: tokens, JSON, edits with conflicts, Markdown export."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from report_seed import Seeded, build_app, seed
from tests.apps import services_of

from vigie.store import Store


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db)


@pytest.fixture()
def client(seeded: Seeded) -> TestClient:
    return TestClient(build_app(seeded.service))


def bearer(client: TestClient, role: str, club: str = "", label: str = "") -> dict[str, str]:
    tokens = services_of(client.app).tokens
    return {"Authorization": f"Bearer {tokens.create(role, club, label)[0]}"}  # type: ignore[arg-type]


def test_get_put_conflict_and_markdown(client: TestClient, seeded: Seeded) -> None:
    url = f"/api/v1/incidents/{seeded.incident_id}/report"
    captain = bearer(client, "captain", "alpha", "marie")
    body = client.get(url, headers=captain).json()
    assert (body["version"], body["kind"], body["locale"]) == (1, "standard", "fr")
    assert [s["name"] for s in body["sections"]][:3] == ["summary", "user_impact", "root_cause"]
    assert body["sections"][2]["label"] == "Cause racine" and body["sections"][2]["text"] == ""
    labels = {f["label"]: f["value"] for f in body["fields"]}
    assert labels["Incident"] == seeded.incident_id
    assert body["facts"]["failed"] > 0 and body["facts"]["total"] > body["facts"]["failed"]
    saved = client.put(
        url, headers=captain,
        json={"version": 1, "sections": {"root_cause": "pool exhausted"},
              "action_items": [{"action": "raise pool", "owner": "léa"}]},
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2 and saved.json()["author"] == "marie"
    stale = client.put(url, headers=captain, json={"version": 1, "sections": {"summary": "x"}})
    assert stale.status_code == 409
    assert stale.json()["detail"]["latest"] == 2
    again = client.get(url, headers=captain).json()
    assert again["version"] == 2
    assert (
        next(s for s in again["sections"] if s["name"] == "root_cause")["text"] == "pool exhausted"
    )
    assert [h["version"] for h in again["history"]] == [1, 2]
    bad = client.put(url, headers=captain, json={"version": 2, "sections": {"nope": "x"}})
    assert bad.status_code == 422
    md = client.get(f"{url}.md", headers=captain)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith(f"# Post-mortem : shop — disponibilité ({seeded.incident_id})")
    assert "pool exhausted" in md.text and "| raise pool |  | léa |" in md.text


def test_access_by_token(client: TestClient, seeded: Seeded) -> None:
    url = f"/api/v1/incidents/{seeded.incident_id}/report"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    other = bearer(client, "captain", "gamma")
    # another club's incident answers like an unknown one: nobody learns which ids exist
    assert client.get(url, headers=other).status_code == 404
    assert client.get(f"{url}.md", headers=other).status_code == 404
    assert client.put(url, headers=other, json={"version": 1}).status_code == 404
    assert client.get(url, headers=bearer(client, "admin")).status_code == 200
    # the incident API shares the rule: captains see only their club
    assert client.get("/api/v1/incidents", headers=other).json()["incidents"] == []
    assert (
        client.get("/api/v1/incidents", params={"club": "alpha"}, headers=other).status_code == 403
    )
    # unknown ids: 401 without a token, 404 with one
    assert client.get("/api/v1/incidents/INC-NOPE/report").status_code == 401
    assert client.get("/api/v1/incidents/INC-NOPE/report", headers=other).status_code == 404
    admin = bearer(client, "admin")
    assert client.get("/api/v1/incidents/INC-NOPE/report", headers=admin).status_code == 404


def test_security_draft_on_request(client: TestClient, seeded: Seeded) -> None:
    url = f"/api/v1/incidents/{seeded.incident_id}/report"
    admin = bearer(client, "admin")
    created = client.post(url, headers=admin, json={"kind": "security"})
    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "security"
    assert [s["name"] for s in body["sections"]] == [
        "summary", "detection", "scope", "data_involved", "containment", "notification",
        "follow_up",
    ]  # fmt: skip
    assert body["facts"]["pii_matches"] and all(
        c["count"] == 0 for c in body["facts"]["pii_matches"]
    )
    assert client.post(url, headers=admin, json={"kind": "standard"}).status_code == 409
    md = client.get(f"{url}.md", headers=admin).text
    assert "donnent 0 correspondance(s)" in md


def test_admins_create_tokens_through_the_api(client: TestClient) -> None:
    admin = bearer(client, "admin")
    made = client.post("/api/v1/tokens", headers=admin,
                       json={"role": "captain", "club": "alpha", "label": "léa"})  # fmt: skip
    assert made.status_code == 201
    token = made.json()["token"]
    assert len(token) >= 43
    tokens = services_of(client.app).tokens
    principal = tokens.lookup(token)
    assert principal is not None and (principal.role, principal.club) == ("captain", "alpha")
    stored = tokens.store.query("SELECT token_hash FROM vigie_api_tokens").rows
    assert all(token not in row[0] for row in stored)  # only hashes are stored
    captain = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/tokens", headers=captain, json={"role": "admin"}).status_code == 403
    unknown = client.post("/api/v1/tokens", headers=admin, json={"role": "captain", "club": "zz"})
    assert unknown.status_code == 422
