"""Synthetic server spans written straight into ``otel_traces``, generated inside the engine.

For the replay harness and the benchmark: ``INSERT … SELECT … FROM numbers()`` writes days of
traffic in one statement, through the same materialized views as real ingestion.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigie.store import Store

_INSERT = """\
INSERT INTO otel_traces
    (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
     SpanAttributes, Duration, StatusCode)
SELECT
    fromUnixTimestamp64Nano(toInt64({start_ns:Int64} + number * {step_ns:UInt64}), 'UTC'),
    lower(hex(cityHash64(number, {seed:UInt64}))),
    lower(hex(cityHash64(number, {seed:UInt64}, 1))),
    concat('GET ', {route:String}),
    {kind:String},
    {service:String},
    mapFilter((k, v) -> v != '', map('service.name', {service:String},
        'deployment.environment.name', {environment:String}, 'service.version', {version:String})),
    map('http.route', {route:String}, 'http.response.status_code',
        if(is_error, {error_status:String}, '200')),
    {duration_ns:UInt64} + number % {duration_spread:UInt64},
    if(is_error AND {error_status:String} >= '500', 'Error', 'Unset')
FROM (SELECT number, {error_every:UInt64} > 0
        AND number % greatest({error_every:UInt64}, 1) = 0 AS is_error
      FROM numbers({count:UInt64}))"""


def insert_traffic(
    store: Store,
    *,
    service: str,
    start: datetime,
    duration: timedelta,
    per_minute: float,
    error_every: int = 0,
    environment: str = "prod",
    route: str = "/api/items",
    kind: str = "Server",
    duration_ms: float = 20.0,
    duration_spread_ns: int = 1,
    error_status: str = "500",
    version: str = "",
) -> int:
    """Evenly spaced spans from ``start`` for ``duration``; every ``error_every``-th one fails.

    Returns the number of spans written.
    """
    count = int(duration.total_seconds() / 60 * per_minute)
    if count <= 0:
        return 0
    step_ns = int(60e9 / per_minute)
    start_ns = int(start.astimezone(UTC).timestamp()) * 10**9 + start.microsecond * 1000
    store.command(
        _INSERT,
        {
            "start_ns": start_ns,
            "step_ns": step_ns,
            "seed": abs(hash((service, start_ns))) % (2**63),
            "route": route,
            "kind": kind,
            "service": service,
            "environment": environment,
            "version": version,
            "error_status": error_status,
            "duration_ns": int(duration_ms * 1e6),
            "duration_spread": max(1, duration_spread_ns),
            "error_every": error_every,
            "count": count,
        },
    )
    return count
