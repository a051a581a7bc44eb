"""Every query behind a report's numbers, in one place.

Each function runs one query through :class:`~vigie.store.client.Store` with bound parameters.
Windows are half-open ``[start, end)`` and minute-aligned by the caller, so the per-minute rollup
(``vigie_slo_minute``) and the raw spans (``otel_traces``) cover exactly the same spans.
What is *bad* follows the SLO: for availability a span counted in ``Errors`` (see
:mod:`vigie.slo.spans`), for latency a span whose whole-millisecond duration (rounded up) is above
the threshold. Route filters of the SLO apply to the span-based queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigie.ingest.scrub import PiiPatterns
from vigie.reports.model import Counted, Latency, RouteImpact, SloInfo
from vigie.slo.spans import CEIL_MS, ENVIRONMENT, IS_ERROR, ROUTE, SERVER_SPAN
from vigie.store import Store
from vigie.store.tables import LOGS, SLO_MINUTE, TRACES

ROLLUP = SLO_MINUTE
ERROR_SEVERITY = 17  # OTLP SeverityNumber of ERROR (17-20), FATAL above


@dataclass(frozen=True)
class Scope:
    """Which spans a report measures: one app (``service.name``), one SLO's definition."""

    app: str
    environment: str  # "" = every environment
    slo: SloInfo

    def params(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "env": self.environment,
            "inc": list(self.slo.include_routes),
            "exc": list(self.slo.exclude_routes),
            "threshold": int(self.slo.threshold_ms or 0),
        }

    @property
    def latency(self) -> bool:
        return self.slo.sli == "latency" and self.slo.threshold_ms is not None


@dataclass(frozen=True)
class Minute:
    at: datetime
    total: int
    bad: int


def param_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _window(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": param_time(start), "end": param_time(end)}


_ROUTE_FILTER = (
    "(length({inc:Array(String)}) = 0 OR has({inc:Array(String)}, %s)) "
    "AND NOT has({exc:Array(String)}, %s)"
)


def _rollup_where() -> str:
    return (
        "ServiceName = {app:String} AND ({env:String} = '' OR Environment = {env:String}) "
        "AND Minute >= {start:DateTime64(3, 'UTC')} AND Minute < {end:DateTime64(3, 'UTC')} "
        "AND " + _ROUTE_FILTER % ("Route", "Route")
    )


def _rollup_bad(scope: Scope) -> str:
    if scope.latency:
        return "arraySum(mapValues(mapFilter((k, v) -> k > {threshold:UInt32}, LatencyMs)))"
    return "Errors"


def _span_where() -> str:
    return (
        f"{SERVER_SPAN} AND ServiceName = {{app:String}} "
        f"AND ({{env:String}} = '' OR {ENVIRONMENT} = {{env:String}}) "
        "AND Timestamp >= {start:DateTime64(3, 'UTC')} AND Timestamp < {end:DateTime64(3, 'UTC')} "
        "AND " + _ROUTE_FILTER % (ROUTE, ROUTE)
    )


def _span_bad(scope: Scope) -> str:
    return f"{CEIL_MS} > {{threshold:UInt32}}" if scope.latency else IS_ERROR


def sli_minutes(store: Store, scope: Scope, start: datetime, end: datetime) -> list[Minute]:
    """Events and bad events per minute with traffic, oldest first."""
    result = store.query(
        f"SELECT Minute, sum(Total), sum({_rollup_bad(scope)}) FROM {ROLLUP} "
        f"WHERE {_rollup_where()} GROUP BY Minute ORDER BY Minute",
        {**scope.params(), **_window(start, end)},
    )
    return [Minute(_utc(m), int(t), int(b)) for m, t, b in result.rows]


def window_counts(store: Store, scope: Scope, start: datetime, end: datetime) -> tuple[int, int]:
    """(events, bad events) in the window: the SLO window ending at the incident's end."""
    result = store.query(
        f"SELECT sum(Total), sum({_rollup_bad(scope)}) FROM {ROLLUP} WHERE {_rollup_where()}",
        {**scope.params(), **_window(start, end)},
    )
    total, bad = result.rows[0] if result.rows else (0, 0)
    return int(total or 0), int(bad or 0)


def routes_by_failures(
    store: Store, scope: Scope, start: datetime, end: datetime, limit: int = 10
) -> list[RouteImpact]:
    result = store.query(
        f"SELECT Route, sum({_rollup_bad(scope)}) AS failed, sum(Total) AS total FROM {ROLLUP} "
        f"WHERE {_rollup_where()} GROUP BY Route HAVING failed > 0 "
        "ORDER BY failed DESC, Route LIMIT {limit:UInt32}",
        {**scope.params(), **_window(start, end), "limit": limit},
    )
    return [RouteImpact(route, int(failed), int(total)) for route, failed, total in result.rows]


def latency(store: Store, scope: Scope, start: datetime, end: datetime) -> Latency | None:
    """p50/p95/p99 of server-span durations in ms (``quantilesExact``: the element at
    ``floor(q·n)`` of the sorted durations); None without spans."""
    result = store.query(
        "SELECT count(), quantilesExact(0.5, 0.95, 0.99)(Duration) FROM "
        f"{TRACES} WHERE {_span_where()}",
        {**scope.params(), **_window(start, end)},
    )
    count, quantiles = result.rows[0]
    if not count:
        return None
    p50, p95, p99 = (float(q) / 1e6 for q in quantiles)
    return Latency(p50, p95, p99)


def example_traces(
    store: Store, scope: Scope, start: datetime, end: datetime, limit: int = 3
) -> list[str]:
    """Trace ids of the first bad spans of the window."""
    result = store.query(
        f"SELECT TraceId FROM {TRACES} WHERE {_span_where()} AND {_span_bad(scope)} "
        "ORDER BY Timestamp, TraceId LIMIT 1 BY TraceId LIMIT {limit:UInt32}",
        {**scope.params(), **_window(start, end), "limit": limit},
    )
    return [str(row[0]) for row in result.rows]


def error_messages(
    store: Store, app: str, start: datetime, end: datetime, limit: int = 5
) -> list[Counted]:
    """Error logs of the app grouped by exception message (else the body), most frequent first."""
    result = store.query(
        "SELECT if(LogAttributes['exception.message'] != '', "
        "LogAttributes['exception.message'], Body) AS message, count() AS n "
        f"FROM {LOGS} WHERE ServiceName = {{app:String}} "
        "AND SeverityNumber >= {severity:UInt8} "
        "AND Timestamp >= {start:DateTime64(3, 'UTC')} AND Timestamp < {end:DateTime64(3, 'UTC')} "
        "GROUP BY message ORDER BY n DESC, message LIMIT {limit:UInt32}",
        {"app": app, "severity": ERROR_SEVERITY, "limit": limit, **_window(start, end)},
    )
    return [Counted(str(m), int(n)) for m, n in result.rows]


def exception_types(
    store: Store, app: str, start: datetime, end: datetime, limit: int = 5
) -> list[Counted]:
    """``exception.type`` of the app's logs and of its spans' ``exception`` events, counted."""
    window = (
        "ServiceName = {app:String} AND Timestamp >= {start:DateTime64(3, 'UTC')} "
        "AND Timestamp < {end:DateTime64(3, 'UTC')}"
    )
    result = store.query(
        "SELECT type, count() AS n FROM ("
        f"SELECT LogAttributes['exception.type'] AS type FROM {LOGS} WHERE {window} "
        "AND type != '' UNION ALL "
        "SELECT attrs['exception.type'] AS type "
        f"FROM {TRACES} ARRAY JOIN Events.Name AS name, Events.Attributes AS attrs "
        f"WHERE {window} AND name = 'exception' AND type != '') "
        "GROUP BY type ORDER BY n DESC, type LIMIT {limit:UInt32}",
        {"app": app, "limit": limit, **_window(start, end)},
    )
    return [Counted(str(t), int(n)) for t, n in result.rows]


def versions_seen(
    store: Store, app: str, start: datetime, end: datetime
) -> list[tuple[str, datetime]]:
    """Each ``service.version`` of the app's spans in the window with its first span, in order."""
    result = store.query(
        "SELECT ResourceAttributes['service.version'] AS v, min(Timestamp) AS first "
        f"FROM {TRACES} WHERE ServiceName = {{app:String}} AND v != '' "
        "AND Timestamp >= {start:DateTime64(3, 'UTC')} AND Timestamp < {end:DateTime64(3, 'UTC')} "
        "GROUP BY v ORDER BY first, v",
        {"app": app, **_window(start, end)},
    )
    return [(str(v), _utc(first)) for v, first in result.rows]


def pii_matches(
    store: Store, app: str, start: datetime, end: datetime, patterns: PiiPatterns
) -> list[Counted]:
    """Per PII rule, how many stored log bodies, log attribute values and span attribute values
    of the app in the window match it (ClickHouse ``match``: RE2, the collector's dialect)."""
    rules = [(rule.name, rule.regex) for rule in patterns.rules]
    params: dict[str, Any] = {"app": app, **_window(start, end)}
    logs: list[str] = []
    spans: list[str] = []
    for i, (_, regex) in enumerate(rules):
        params[f"r{i}"] = regex
        logs.append(
            f"countIf(match(Body, {{r{i}:String}}) OR "
            f"arrayExists(v -> match(v, {{r{i}:String}}), mapValues(LogAttributes)))"
        )
        spans.append(
            f"countIf(arrayExists(v -> match(v, {{r{i}:String}}), "
            "arrayConcat(mapValues(SpanAttributes), mapValues(ResourceAttributes))))"
        )
    window = (
        "ServiceName = {app:String} AND Timestamp >= {start:DateTime64(3, 'UTC')} "
        "AND Timestamp < {end:DateTime64(3, 'UTC')}"
    )
    result = store.query(
        f"SELECT * FROM (SELECT {', '.join(logs)} FROM {LOGS} WHERE {window}) AS l "
        f"CROSS JOIN (SELECT {', '.join(spans)} FROM {TRACES} WHERE {window}) AS s",
        params,
    )
    row: Sequence[Any] = result.rows[0]
    n = len(rules)
    return [Counted(name, int(row[i]) + int(row[n + i])) for i, (name, _) in enumerate(rules)]
