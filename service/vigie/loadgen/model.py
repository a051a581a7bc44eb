"""One request of one app, as data: its spans, its logs, its timings and its outcome.

:func:`generate_request` makes every decision (route, status, latency, child calls, logs, personal
data) from a seeded :class:`random.Random`; the emitters (the OTel SDK for live runs, raw OTLP
protobuf for back-dated history) only translate the result. Identifiers come from the same random
source, so a seed reproduces a history exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from vigie.loadgen.catalog import App, Route
from vigie.loadgen.scenarios import Effects

AttrValue = str | int | float | bool

# Share of requests carrying the client's IP address (PII the receiver must scrub).
PII_SHARE = 0.02
_MS = 1_000_000


class Kind(Enum):
    SERVER = "server"
    CLIENT = "client"


class Severity(Enum):
    """Log severities used, with their OTLP SeverityNumber."""

    INFO = 9
    WARN = 13
    ERROR = 17


@dataclass(frozen=True, slots=True)
class SpanShape:
    span_id: int
    # Index of the parent in RequestShape.spans; None for the server (root) span.
    parent: int | None
    name: str
    kind: Kind
    offset_ns: int
    duration_ns: int
    attributes: Mapping[str, AttrValue]
    # Status message when the span failed (status Error); None leaves the status unset.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LogShape:
    # Index in RequestShape.spans of the span the log belongs to.
    span: int
    offset_ns: int
    severity: Severity
    body: str
    attributes: Mapping[str, AttrValue]


@dataclass(frozen=True, slots=True)
class RequestShape:
    app: App
    version: str
    trace_id: int
    start_ns: int
    spans: tuple[SpanShape, ...]
    logs: tuple[LogShape, ...]

    @property
    def server(self) -> SpanShape:
        return self.spans[0]

    @property
    def status(self) -> int:
        code = self.server.attributes["http.response.status_code"]
        assert isinstance(code, int)
        return code

    @property
    def failed(self) -> bool:
        return self.server.error is not None

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.server.duration_ns


# Failures outside scenarios: (exception type, message, raised by the database driver).
_BACKGROUND_ERRORS: tuple[tuple[str, str, bool], ...] = (
    ("psycopg.errors.QueryCanceled", "canceling statement due to statement timeout", True),
    ("KeyError", "'team_id'", False),
    ("TimeoutError", "upstream read timed out after 5.0s", False),
    ("sqlalchemy.exc.TimeoutError", "QueuePool limit of size 5 overflow 10 reached", False),
)
_OUTAGE_ERROR = "psycopg.OperationalError"
_TIMEOUT_ERROR = ("WorkerTimeout", "request exceeded the worker timeout of 30 s", False)
REQUEST_TIMEOUT_NS = 30 * 1_000_000_000

_PEOPLE = (
    "jean.dupont",
    "marie.tremblay",
    "alexandre.gagnon",
    "sophie.roy",
    "kevin.nguyen",
    "fatima.benali",
)
_PARAMS: dict[str, Callable[[random.Random], str]] = {
    "id": lambda rng: str(rng.randint(1, 2000)),
    "path": lambda rng: rng.choice(("css/site.css", "js/app.js", "img/logo.svg", "favicon.ico")),
    "page": lambda rng: rng.choice(("accueil", "kubernetes", "onboarding", "vpn", "ci-cd")),
    "owner": lambda rng: rng.choice(("cedille", "algoets", "sonia", "conjure")),
    "repo": lambda rng: rng.choice(("infra", "site", "bot-discord", "firmware", "docs")),
}


def _fill(template: str, rng: random.Random) -> tuple[str, dict[str, str]]:
    """The concrete path of a route template and the values chosen for its parameters."""
    values: dict[str, str] = {}
    parts = []
    for segment in template.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            values[name] = _PARAMS[name](rng)
            parts.append(values[name])
        else:
            parts.append(segment)
    path = "/".join(parts)
    # A created object gets an id for the INFO message even when the route has no {id}.
    values.setdefault("id", _PARAMS["id"](rng))
    return path, values


def _pick_route(app: App, rng: random.Random) -> Route:
    return rng.choices(app.routes, weights=[r.weight for r in app.routes])[0]


def _outcome(
    app: App, route: Route, effects: Effects, rng: random.Random
) -> tuple[int, tuple[str, str, bool] | None]:
    """HTTP status and, for a 5xx, the exception behind it."""
    if effects.outage_share and rng.random() < effects.outage_share:
        return 503, (
            _OUTAGE_ERROR,
            f'connection to server at "postgres.{app.club}.svc", port 5432 failed: '
            "Connection refused",
            True,
        )
    if rng.random() < app.error_rate:
        return 500, rng.choice(_BACKGROUND_ERRORS)
    for status, probability in route.client_errors:
        if rng.random() < probability:
            return status, None
    return route.ok_status, None


def generate_request(app: App, start_ns: int, effects: Effects, rng: random.Random) -> RequestShape:
    """One request to ``app`` starting at ``start_ns`` under ``effects``."""
    route = _pick_route(app, rng)
    path, values = _fill(route.template, rng)
    status, failure = _outcome(app, route, effects, rng)
    duration = max(
        1,
        int(
            rng.lognormvariate(math.log(route.median_ms * _MS), route.sigma)
            * effects.latency_factor
        ),
    )
    # A refused connection fails fast: the outage answers quicker than a healthy request.
    if failure is not None and failure[0] == _OUTAGE_ERROR:
        duration = max(1, duration // 5)
    # The worker's time limit: a request slowed past it is killed and answered 504. It also
    # bounds how long a live run waits for its last requests to end.
    if duration > REQUEST_TIMEOUT_NS:
        duration = REQUEST_TIMEOUT_NS
        status, failure = 504, _TIMEOUT_ERROR

    server_attrs: dict[str, AttrValue] = {
        "http.request.method": route.method,
        "http.route": route.template,
        "http.response.status_code": status,
        "url.path": path,
        "url.scheme": "https",
        "server.address": app.host,
        "network.protocol.version": "1.1",
    }
    if rng.random() < PII_SHARE:
        server_attrs["client.address"] = f"142.137.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if failure is not None:
        server_attrs["error.type"] = failure[0]

    spans: list[SpanShape] = []
    logs: list[LogShape] = []
    cursor = 0
    if route.db is not None:
        db_failed = failure is not None and failure[2]
        db_start = int(duration * rng.uniform(0.05, 0.15))
        db_duration = max(1, int(duration * rng.uniform(0.2, 0.5)))
        db_attrs: dict[str, AttrValue] = {
            "db.system.name": "postgresql",
            "db.namespace": app.club,
            "db.operation.name": route.db.operation,
            "db.collection.name": route.db.collection,
            "db.query.text": route.db.query,
            "server.address": f"postgres.{app.club}.svc",
            "server.port": 5432,
        }
        if db_failed and failure is not None:
            db_attrs["error.type"] = failure[0]
        spans.append(
            SpanShape(
                rng.getrandbits(64) | 1,
                0,
                f"{route.db.operation} {route.db.collection}",
                Kind.CLIENT,
                db_start,
                db_duration,
                db_attrs,
                failure[1] if db_failed and failure is not None else None,
            )
        )
        cursor = db_start + db_duration
    call = route.outbound
    if call is not None and failure is None and status < 400 and rng.random() < call.share:
        host = call.url.split("/")[2]
        call_start = cursor + int(duration * 0.02)
        spans.append(
            SpanShape(
                rng.getrandbits(64) | 1,
                0,
                call.method,
                Kind.CLIENT,
                call_start,
                max(1, int(duration * rng.uniform(0.15, 0.3))),
                {
                    "http.request.method": call.method,
                    "url.full": call.url,
                    "server.address": host.split(":")[0],
                    "server.port": int(host.split(":")[1]) if ":" in host else 80,
                    "http.response.status_code": 200,
                },
            )
        )

    log_at = int(duration * 0.95)
    if failure is not None:
        exc_type, message, _ = failure
        logs.append(
            LogShape(
                0,
                log_at,
                Severity.ERROR,
                f"{route.method} {path} failed: {exc_type}: {message}",
                {
                    "exception.type": exc_type,
                    "exception.message": message,
                    "exception.stacktrace": (
                        "Traceback (most recent call last):\n"
                        f'  File "/app/{app.name.replace("-", "_")}/views.py", line '
                        f"{rng.randint(20, 400)}, in handle\n{exc_type}: {message}"
                    ),
                },
            )
        )
    elif route.login and status == 401:
        email = f"{rng.choice(_PEOPLE)}@etsmtl.ca"
        ip = f"142.137.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        logs.append(LogShape(0, log_at, Severity.WARN, f"login failed for {email} from {ip}", {}))
    elif route.info is not None and status < 400:
        logs.append(LogShape(0, log_at, Severity.INFO, route.info.format(**values), {}))

    server = SpanShape(
        rng.getrandbits(64) | 1,
        None,
        f"{route.method} {route.template}",
        Kind.SERVER,
        0,
        duration,
        server_attrs,
        f"HTTP {status}" if status >= 500 else None,
    )
    return RequestShape(
        app=app,
        version=effects.version,
        trace_id=rng.getrandbits(128) | 1,
        start_ns=start_ns,
        spans=(server, *spans),
        logs=tuple(logs),
    )
