"""The reports and pages as ``vigie serve`` mounts them (``create_app`` and its lifespan)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.apps import login as sign_in
from tests.apps import services_of

from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store


def test_the_served_app_has_tokens_pages_and_report_api(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    with TestClient(create_app(settings, store, schedule=False), follow_redirects=False) as client:
        assert client.get("/incidents").status_code == 303
        assert client.get("/api/v1/incidents").status_code == 401
        assert client.get("/api/v1/incidents/INC-X/report").status_code == 401
        tokens = services_of(client.app).tokens
        admin = {"Authorization": f"Bearer {tokens.create('admin')[0]}"}
        made = client.post("/api/v1/tokens", headers=admin,
                           json={"role": "captain", "club": "algoets"})  # fmt: skip
        assert made.status_code == 201
        login = sign_in(client, made.json()["token"])
        assert login.status_code == 303
        listing = client.get("/incidents")
        assert listing.status_code == 200 and '<html lang="fr">' in listing.text
        assert client.get("/api/v1/incidents/INC-X/report", headers=admin).status_code == 404
