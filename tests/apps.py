"""Apps for HTTP tests: every route of :func:`vigie.server.api_app` over services a test built
(its own incident service, SLO targets, clock), plus token helpers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from vigie.access.audit import AuditTrail
from vigie.access.tokens import Role, TokenStore
from vigie.api.deps import Services
from vigie.config import AlertsConfig, Config, SloFile
from vigie.gate.service import GateService
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.reports.service import ReportService
from vigie.server import api_app
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluator
from vigie.store import Store


def services_for(
    incidents: IncidentService,
    slo_files: list[SloFile] | None = None,
    clock: Callable[[], datetime] | None = None,
    evaluator: Evaluator | None = None,
) -> Services:
    clock = clock or incidents.clock
    store = incidents.store
    files = slo_files if slo_files is not None else list(incidents.config.slo_files)
    evaluator = evaluator or Evaluator(store, targets_from_files(files), clock=clock)
    return Services(
        config=incidents.config,
        incidents=incidents,
        reports=ReportService(incidents),
        evaluator=evaluator,
        gate=GateService(evaluator, incidents, clock),
        tokens=TokenStore(store, clock),
        audit=AuditTrail(store, clock),
        clock=clock,
        public_url="https://vigie.test",
    )


def slo_app(store: Store, files: list[SloFile], clock: Callable[[], datetime]) -> FastAPI:
    """Every route over SLO ``files`` (their clubs declared, French, no captains)."""
    clubs = sorted({f.club for f in files})
    alerts = AlertsConfig.model_validate(
        {
            "admins": {"webhook": {"env": "VIGIE_TEST_ADMIN"}, "users": ["300000000000000001"]},
            "clubs": [
                {"id": c, "name": c.title(), "webhook": {"env": f"VIGIE_TEST_{c.upper()}"}}
                for c in clubs
            ],
        }
    )
    service = IncidentService(
        store, Config(alerts, tuple(files)), Links("https://v", "https://g"), clock=clock
    )
    return api_app(services_for(service, files, clock))


def app_for(incidents: IncidentService, **kwargs: object) -> FastAPI:
    return api_app(services_for(incidents, **kwargs))  # type: ignore[arg-type]


def services_of(app: FastAPI) -> Services:
    services = app.state.vigie.services
    assert isinstance(services, Services)
    return services


def bearer(app: FastAPI, role: Role, club: str = "", label: str = "") -> dict[str, str]:
    token, _ = services_of(app).tokens.create(role, club, label)
    return {"Authorization": f"Bearer {token}"}


ORIGIN = "http://testserver"  # TestClient's base URL: the origin forms are posted from


def csrf_in(html: str) -> str:
    """The CSRF field of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, token: str, next: str = "/incidents") -> Response:
    """Sign in through the login form, as a browser does (form token, cookie, origin)."""
    form = client.get("/login", params={"next": next})
    data = {"token": token, "next": next, "csrf": csrf_in(form.text)}
    return client.post("/login", data=data, headers={"Origin": ORIGIN})


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> Response:
    """Post ``data`` with the CSRF token of ``page`` (as its form would)."""
    token = csrf_in(client.get(page).text)
    return client.post(action, data={**data, "csrf": token}, headers={"Origin": ORIGIN})
