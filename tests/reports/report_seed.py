"""Seeded telemetry and one incident around it, shared by the report and web tests.

The shop app of club alpha (French) serves server spans for 26 hours (3 a minute from an hour
before the incident, 1 before); version 1.1 is deployed at ``BAD_FROM``, after which half the
requests of ``/api/cart`` fail (500, with an error log and an exception event) until
``BAD_UNTIL``. The incident opened at ``OPENED``, was
acknowledged, and resolved at ``RESOLVED``. A second, older incident of the same app is related;
one of another app is not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.config import AlertsConfig, Config
from vigie.config.slo import SloFile
from vigie.incidents.lines import Links
from vigie.incidents.model import Event
from vigie.incidents.service import IncidentService
from vigie.incidents.store import IncidentStore
from vigie.store import Store

T0 = (datetime.now(UTC) - timedelta(days=1)).replace(second=0, microsecond=0)
BAD_FROM = T0 - timedelta(minutes=10)
OPENED = T0 - timedelta(minutes=4, seconds=20)
ACKED = T0 + timedelta(minutes=2)
BAD_UNTIL = T0 + timedelta(minutes=25)
RESOLVED = T0 + timedelta(minutes=31, seconds=10)
START = T0 - timedelta(hours=25)
STOP = T0 + timedelta(hours=1)
ROUTES = ("/api/cart", "/api/items/{id}", "/")
LEAK = "login failed for jeanne.tremblay@example.org"

SPAN_COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "SpanName", "SpanKind", "ServiceName", "ResourceAttributes",
    "SpanAttributes", "Duration", "StatusCode", "Events.Timestamp", "Events.Name",
    "Events.Attributes",
)  # fmt: skip
LOG_COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "SeverityText", "SeverityNumber", "ServiceName", "Body",
    "LogAttributes",
)  # fmt: skip


@dataclass
class Seeded:
    spans: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    incident_id: str
    related_id: str
    other_id: str
    service: IncidentService


def clubs() -> AlertsConfig:
    return AlertsConfig.model_validate(
        {
            "admins": {"webhook": {"env": "VIGIE_TEST_ADMIN"}},
            "clubs": [
                {"id": "alpha", "name": "Alpha", "locale": "fr",
                 "webhook": {"env": "VIGIE_TEST_ALPHA"}},
                {"id": "gamma", "name": "Gamma", "locale": "en",
                 "webhook": {"env": "VIGIE_TEST_GAMMA"}},
            ],
        }
    )  # fmt: skip


def config() -> Config:
    shop = SloFile.model_validate(
        {
            "app": "shop",
            "club": "alpha",
            "slos": [{"name": "availability", "objective": 99.9, "sli": {"kind": "availability"}}],
        }
    )
    return Config(clubs(), (shop,))


def make_spans(seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    spans: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    minute = START
    n = 0
    while minute < STOP:
        # 3 requests a minute around the incident, 1 in the quiet baseline (fewer rows to seed)
        for _ in range(3 if minute >= T0 - timedelta(hours=1) else 1):
            n += 1
            at = minute + timedelta(seconds=rng.uniform(0, 59.9))
            route = rng.choice(ROUTES)
            version = "1.1" if at >= BAD_FROM else "1.0"
            failing = BAD_FROM <= at < BAD_UNTIL and route == "/api/cart" and rng.random() < 0.5
            status = "500" if failing else rng.choice(["200", "200", "200", "404"])
            slow = 1.0 + (3.0 if BAD_FROM <= at < BAD_UNTIL else 0.0)
            duration = int(rng.uniform(5, 120) * slow * 1_000_000)
            trace = f"{n:032x}"
            exc = rng.choice(["OperationalError", "TimeoutError"]) if failing else ""
            events: tuple[list[Any], list[str], list[dict[str, str]]] = ([], [], [])
            if failing and rng.random() < 0.5:
                events = ([at], ["exception"], [{"exception.type": exc}])
            spans.append(
                {
                    "Timestamp": at,
                    "TraceId": trace,
                    "SpanId": f"{n:016x}",
                    "SpanName": f"GET {route}",
                    "SpanKind": "Server",
                    "ServiceName": "shop",
                    "ResourceAttributes": {"service.name": "shop", "service.version": version},
                    "SpanAttributes": {"http.route": route, "http.response.status_code": status},
                    "Duration": duration,
                    "StatusCode": "Error" if failing else "Unset",
                    "Events.Timestamp": events[0],
                    "Events.Name": events[1],
                    "Events.Attributes": events[2],
                }
            )
            if failing:
                message = rng.choice(["database is locked", "pool exhausted"])
                logs.append(
                    {
                        "Timestamp": at,
                        "TraceId": trace,
                        "SpanId": f"{n:016x}",
                        "SeverityText": "ERROR",
                        "SeverityNumber": 17,
                        "ServiceName": "shop",
                        "Body": f"GET /api/cart failed: {exc}: {message} (request {n})",
                        "LogAttributes": {"exception.type": exc, "exception.message": message},
                    }
                )
        minute += timedelta(minutes=1)
    return spans, logs


def leak_log(at: datetime) -> dict[str, Any]:
    """A log that slipped past scrubbing (what the security report must find)."""
    return {
        "Timestamp": at, "TraceId": "", "SpanId": "", "SeverityText": "WARN",
        "SeverityNumber": 13, "ServiceName": "shop", "Body": LEAK, "LogAttributes": {},
    }  # fmt: skip


def _event(inc: str, seq: int, at: datetime, kind: str, app: str = "shop", **kw: Any) -> Event:
    return Event(
        inc, seq, at, at, kind, "alpha", app, "", "availability",  # type: ignore[arg-type]
        kw.get("severity", "page"), kw.get("reason", f"{kind} reason"),
        kw.get("cause", {"objective": 99.9, "window": "30d"}), kw.get("author", ""),
    )  # fmt: skip


def incident_events(resolved: bool = True) -> list[Event]:
    inc = "INC-SEEDED0001"
    events = [
        _event(inc, 1, OPENED, "opened", severity="ticket", reason="burn 6x over 6h"),
        _event(
            inc,
            2,
            OPENED + timedelta(minutes=1),
            "escalated",
            reason="burn 14x over 1h",
            cause={
                "objective": 99.9,
                "window": "30d",
                "budget_remaining": 0.42,
                "fired": [{"long": "1h", "long_burn": 14.4, "short": "5m"}],
            },
        ),
        _event(inc, 3, ACKED, "acknowledged", reason="acknowledged by marie", author="marie"),
    ]
    if resolved:
        events.append(_event(inc, 4, RESOLVED, "resolved", reason="3 calm evaluations"))
    old = T0 - timedelta(days=10)
    events += [
        _event("INC-RELATED001", 1, old, "opened", severity="ticket"),
        _event("INC-RELATED001", 2, old + timedelta(hours=1), "resolved", severity="ticket"),
        _event("INC-OTHERAPP01", 1, old, "opened", app="wiki"),
    ]
    return events


def seed(
    db: Store, *, clock: datetime | None = None, leak: bool = False, resolved: bool = True
) -> Seeded:
    spans, logs = make_spans()
    if leak:
        logs.append(leak_log(T0))
    db.insert("otel_traces", SPAN_COLUMNS, [[s[c] for c in SPAN_COLUMNS] for s in spans])
    db.insert("otel_logs", LOG_COLUMNS, [[row[c] for c in LOG_COLUMNS] for row in logs])
    IncidentStore(db).append(incident_events(resolved))
    db.insert(
        "vigie_incident_notices",
        ("key", "channel", "kind", "incident_ids", "seqs", "created_at", "edit_of"),
        [["n1", "alpha", "open", ["INC-SEEDED0001"], [1], OPENED + timedelta(seconds=30), ""]],
    )
    # Discord refused that notice: the timeline must say it failed
    db.insert(
        "vigie_outbox", ("key", "channel", "event", "kind", "created_at", "at"),
        [["n1", "alpha", "failed", "open", OPENED + timedelta(seconds=30),
          OPENED + timedelta(seconds=31)]],
    )  # fmt: skip
    now = clock or RESOLVED + timedelta(seconds=5)
    service = IncidentService(
        db, config(), Links("https://vigie.test", "https://grafana.test"), clock=lambda: now
    )
    return Seeded(spans, logs, "INC-SEEDED0001", "INC-RELATED001", "INC-OTHERAPP01", service)


def build_app(service: IncidentService) -> Any:
    """Every route (incident and report API, pages, tokens) over ``service``."""
    from tests.apps import app_for

    return app_for(service)


class Recording:
    """A delivery that keeps what it is given."""

    def __init__(self) -> None:
        self.notices: list[Any] = []

    def submit(self, notices: Any) -> None:
        self.notices += notices


def sign_in(client: Any, role: str, club: str = "", label: str = "") -> str:
    """A new token of ``role`` as the client's session cookie (what the login form sets)."""
    from tests.apps import services_of

    token: str = services_of(client.app).tokens.create(role, club, label)[0]
    client.cookies.set("vigie_token", token)
    return token


def post(client: Any, url: str, data: dict[str, str] | None = None) -> Any:
    """A form post as the signed-in session's page sends it (its CSRF field, Vigie's origin)."""
    from tests.apps import ORIGIN, services_of

    from vigie.web.guard import session_csrf

    csrf = session_csrf(services_of(client.app), client.cookies.get("vigie_token", ""))
    return client.post(url, data={**(data or {}), "csrf": csrf}, headers={"Origin": ORIGIN})
