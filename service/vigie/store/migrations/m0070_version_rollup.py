"""Per-minute counts of server spans by service version: what the rollout gate compares.

One row per minute, service, environment, route, ``service.version`` and latency grid value
``Le`` (like migration 11's minute table), with the number of server spans and of errors. The
canary analysis of ``GET /api/v1/gate/{club}/{app}?canary=…`` reads a few minutes of two
versions from it. Kept 3 days: an analysis looks back one hour at most, and the versions of an
app seen in 3 days are few, so the table stays small whatever the traffic.

Frozen SQL: the span expressions below are the text of :mod:`vigie.slo.spans` when this
migration was written (a test compares them); a later change of that module needs a new
migration, never an edit of this one.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 70
DESCRIPTION = "rollout gate: per-minute server span counts by service version, kept 3 days"

TABLE = "vigie_version_minute"
VIEW = "vigie_version_minute_mv"
TTL_DAYS = 3

SERVER_SPAN = "SpanKind IN ('Server', 'SPAN_KIND_SERVER')"
IS_ERROR = (
    "(StatusCode IN ('Error', 'STATUS_CODE_ERROR') OR "
    "toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != '', "
    "SpanAttributes['http.response.status_code'], SpanAttributes['http.status_code'])) >= "
    '500)'
)
ENVIRONMENT = (
    "if(ResourceAttributes['deployment.environment.name'] != '', "
    "ResourceAttributes['deployment.environment.name'], "
    "ResourceAttributes['deployment.environment'])"
)
GRID_MS = (
    'toUInt32(arrayFirst(g -> g >= toUInt32(least(intDiv(Duration + 999999, 1000000), '
    '4294967295)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80,'
    ' 90, 100, 120, 150, 200, 250, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1500, 2000,'
    ' 2500, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000, 15000, 20000, 25000, '
    '30000, 40000, 50000, 60000, 70000, 80000, 90000, 100000, 120000, 150000, 200000, 250000,'
    ' 300000, 400000, 500000, 600000, 700000, 800000, 900000, 1000000, 1200000, 1500000, '
    '2000000, 2500000, 3000000, 4000000, 5000000, 6000000, 7000000, 8000000, 9000000, '
    '10000000, 12000000, 15000000, 20000000, 25000000, 30000000, 40000000, 50000000, '
    '60000000, 70000000, 80000000, 90000000, 100000000, 120000000, 150000000, 200000000, '
    '250000000, 300000000, 400000000, 500000000, 600000000, 700000000, 800000000, 900000000, '
    '1000000000, 4294967295]))'
)
VERSION_OF = "ResourceAttributes['service.version']"
ROUTE = "SpanAttributes['http.route']"

_COLUMNS = """\
    Start DateTime('UTC') CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Version LowCardinality(String),
    Route LowCardinality(String),
    Le UInt32,
    Total SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64)"""


def _select(source: str, where: str) -> str:
    return (
        "SELECT toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS Start, ServiceName, "
        f"{ENVIRONMENT} AS Environment, {VERSION_OF} AS Version, {ROUTE} AS Route, "
        f"{GRID_MS} AS Le, count() AS Total, countIf({IS_ERROR}) AS Errors\n"
        f"FROM {source}\nWHERE {where}\n"
        "GROUP BY Start, ServiceName, Environment, Version, Route, Le"
    )


def statements(ctx: MigrationContext) -> list[str]:
    clauses = "\n".join((
        "PARTITION BY toDate(Start)",
        "ORDER BY (ServiceName, Start, Version, Environment, Route, Le)",
        f"TTL Start + toIntervalDay({TTL_DAYS})",
    ))
    cutoff = (
        "Timestamp < (SELECT any(metadata_modification_time) FROM system.tables "
        f"WHERE database = '{ctx.database}' AND name = '{VIEW}')"
    )
    recent = f"Timestamp >= now() - toIntervalDay({TTL_DAYS})"
    return [
        *ctx.create_table(TABLE, _COLUMNS, clauses, engine="AggregatingMergeTree",
                          shard_by="rand()"),
        *ctx.create_materialized_view(
            VIEW, to=TABLE, query=_select(ctx.local("otel_traces"), SERVER_SPAN)
        ),
        f"INSERT INTO {ctx.table(TABLE)}\n"
        + _select(ctx.table("otel_traces"), f"{SERVER_SPAN} AND {recent} AND {cutoff}"),
    ]
