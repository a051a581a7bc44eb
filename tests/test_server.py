"""The composition root: auth fails closed on every route, enumerated from the app itself, so a
new route is covered without editing this file."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.apps import app_for, bearer, post_form, services_of

from vigie.access.tokens import TokenStore
from vigie.api.auth import check_guarded, endpoints
from vigie.server import public_paths
from vigie.settings import Settings
from vigie.store import Store
from vigie.store.migrations import migrate

sys.path.insert(0, str(Path(__file__).resolve().parent / "reports"))
from report_seed import Seeded, seed

DUMMY = {"club": "alpha", "app": "shop", "slo": "availability", "token_id": "0123456789ab"}


@pytest.fixture()
def db(store: Store, settings: Settings) -> Store:
    migrate(store, settings)
    return store


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db)


@pytest.fixture()
def app(seeded: Seeded) -> FastAPI:
    return app_for(seeded.service)


def _requests(app: FastAPI, seeded: Seeded) -> list[tuple[str, str, bool]]:
    """(method, concrete path, is a page) for every guarded route of the app."""
    found = []
    public = public_paths()
    values = {**DUMMY, "incident_id": seeded.incident_id, "silence_id": "SIL-X"}
    for route in endpoints(app):
        if route.path in public:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "X-1"), route.path)
        for method in sorted(route.methods):
            found.append((method, path, not route.path.startswith("/api/")))
    assert len(found) > 15  # the enumeration found the app's routes
    return found


def _credentials(app: FastAPI, db: Store) -> dict[str, dict[str, str]]:
    services = services_of(app)
    now = services.clock()
    past = TokenStore(db, clock=lambda: now - timedelta(days=400))
    expired, _ = past.create("admin", expires_at=now - timedelta(days=1))
    revoked, info = services.tokens.create("admin")
    services.tokens.revoke(info.token_id)
    return {
        "no token": {},
        "malformed": {"Authorization": "Bearer " + "%ZZ" * 300},
        "garbage": {"Authorization": "Bearer not a token"},
        "wrong scheme": {"Authorization": f"Basic {revoked}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
    }


def test_every_route_refuses_a_request_without_a_valid_token(
    app: FastAPI, seeded: Seeded, db: Store
) -> None:
    client = TestClient(app, follow_redirects=False)
    for name, headers in _credentials(app, db).items():
        for method, path, page in _requests(app, seeded):
            answer = client.request(method, path, headers=headers, json={})
            expected = 303 if page else 401
            assert answer.status_code == expected, (name, method, path, answer.text)
            assert seeded.incident_id not in answer.text


def test_another_clubs_captain_sees_nothing_of_it(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app, follow_redirects=False, headers=bearer(app, "captain", "gamma"))
    for method, path, _ in _requests(app, seeded):
        answer = client.request(method, path, json={})
        assert answer.status_code < 500, (method, path, answer.text)
        if seeded.incident_id in path:  # another club's incident: exactly like an unknown one
            fake = "INC-UNKNOWN000"
            unknown = client.request(method, path.replace(seeded.incident_id, fake), json={})
            assert answer.status_code == unknown.status_code in (403, 404, 422), (method, path)
            assert answer.text.replace(seeded.incident_id, fake) == unknown.text, (method, path)
        else:
            assert seeded.incident_id not in answer.text, (method, path)
        if path.startswith("/api/v1/tokens"):
            assert answer.status_code == 403, (method, path)


def test_an_admin_reaches_every_route(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app, follow_redirects=False, headers=bearer(app, "admin"))
    for method, path, page in _requests(app, seeded):
        if page and method == "POST":  # as the page's form posts it
            answer = post_form(client, "/incidents", path, {})
        else:
            answer = client.request(method, path, json={})
        assert answer.status_code not in (401, 403) and answer.status_code < 500, (
            method, path, answer.text,
        )  # fmt: skip


def test_an_app_with_an_unguarded_route_refuses_to_start(app: FastAPI) -> None:
    @app.get("/api/v1/leak")
    def leak() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/api/v1/leak"):
        check_guarded(app, public_paths())


def test_every_token_use_is_recorded(app: FastAPI) -> None:
    headers = bearer(app, "captain", "alpha", "marie")
    client = TestClient(app)
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    assert client.get("/api/v1/slos", headers=headers).status_code in (200, 503)
    audit = services_of(app).audit
    uses = audit.uses()
    assert sorted((u["label"], u["method"], u["route"]) for u in uses) == [
        ("marie", "GET", "/api/v1/incidents"),
        ("marie", "GET", "/api/v1/slos"),
    ]
