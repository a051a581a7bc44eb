"""The SLO engine's rollups: per-minute SLI counters and per-minute service activity.

``vigie_slo_minute`` holds, per minute, service, environment and route, the number of server
spans, how many were errors, and how many lasted each whole number of milliseconds (rounded up),
so that latency SLOs with any whole-millisecond threshold are answered exactly (see
:mod:`vigie.slo.spans`). ``vigie_service_activity`` counts every span per minute, service and
environment: the engine's "last seen" for ``no_data``.

Both are fed by materialized views on ``otel_traces`` and backfilled from the rows already there.
Backfill rule: the views are created first, then the backfill copies only spans that *started*
before the view's creation second (``metadata_modification_time``). Rows inserted after the view
exists are counted by the view alone; rows already stored are counted by the backfill alone. The
one overlap left is a span started before that second and inserted in the instant between the
two statements (counted twice), or a span from the future inserted before the view existed
(counted never): both need a batch landing within milliseconds of the migration.
An interrupted migration re-runs the backfill, so after a crash mid-migration, rebuild with
``TRUNCATE`` + the backfill statement.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 10
DESCRIPTION = "SLO rollups: per-minute SLI counters and service activity, backfilled"

# Frozen copies of the expressions of ``vigie.slo.spans`` as they were when this migration was
# written: a migration never imports live code (the runner checksums its statements, so an edit
# to ``spans.py`` would stop every deployed store from starting).
CEIL_MS = "toUInt32(least(intDiv(Duration + 999999, 1000000), 4294967295))"
ENVIRONMENT = (
    "if(ResourceAttributes['deployment.environment.name'] != '', "
    "ResourceAttributes['deployment.environment.name'], "
    "ResourceAttributes['deployment.environment'])"
)
IS_ERROR = (
    "(StatusCode IN ('Error', "
    "'STATUS_CODE_ERROR') OR toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != ''"
    ", SpanAttributes['http.response.status_code'], "
    "SpanAttributes['http.status_code'])) >= 500)"
)
MINUTE = "toStartOfMinute(toDateTime(Timestamp, 'UTC'))"
ROUTE = "SpanAttributes['http.route']"
SERVER_SPAN = "SpanKind IN ('Server', 'SPAN_KIND_SERVER')"

ROLLUP = "vigie_slo_minute"
ACTIVITY = "vigie_service_activity"

# The rollup outlives raw spans (it is small): 90-day SLO windows stay answerable.
_ROLLUP_MIN_TTL_DAYS = 90
_ACTIVITY_TTL_DAYS = 7

_ROLLUP_COLUMNS = """\
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Route LowCardinality(String),
    Total SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    LatencyMs SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) CODEC(ZSTD(1))"""

_ACTIVITY_COLUMNS = """\
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Spans SimpleAggregateFunction(sum, UInt64)"""


def _rollup_select(source: str, where: str) -> str:
    return (
        f"SELECT {MINUTE} AS Minute, ServiceName, {ENVIRONMENT} AS Environment, "
        f"{ROUTE} AS Route, count() AS Total, countIf({IS_ERROR}) AS Errors, "
        f"sumMap(map({CEIL_MS}, toUInt64(1))) AS LatencyMs\n"
        f"FROM {source}\nWHERE {where}\nGROUP BY Minute, ServiceName, Environment, Route"
    )


def _activity_select(source: str, where: str) -> str:
    return (
        f"SELECT {MINUTE} AS Minute, ServiceName, {ENVIRONMENT} AS Environment, "
        f"count() AS Spans\nFROM {source}\nWHERE {where}\n"
        "GROUP BY Minute, ServiceName, Environment"
    )


def _cutoff(ctx: MigrationContext, view: str) -> str:
    return (
        "Timestamp < (SELECT any(metadata_modification_time) FROM system.tables "
        f"WHERE database = '{ctx.database}' AND name = '{view}')"
    )


def _ttl(days: int) -> str:
    return f"TTL Minute + toIntervalDay({days})"


def statements(ctx: MigrationContext) -> list[str]:
    rollup_ttl = max(ctx.ttl_days, _ROLLUP_MIN_TTL_DAYS) if ctx.ttl_days else 0
    rollup_clauses = "\n".join(
        line
        for line in (
            "PARTITION BY toDate(Minute)",
            "ORDER BY (ServiceName, Environment, Route, Minute)",
            _ttl(rollup_ttl) if rollup_ttl else "",
        )
        if line
    )
    activity_clauses = (
        "PARTITION BY toDate(Minute)\nORDER BY (ServiceName, Environment, Minute)\n"
        + _ttl(_ACTIVITY_TTL_DAYS)
    )
    traces_local = ctx.local("otel_traces")
    traces = ctx.table("otel_traces")
    return [
        *ctx.create_table(
            ROLLUP,
            _ROLLUP_COLUMNS,
            rollup_clauses,
            engine="AggregatingMergeTree",
            shard_by="rand()",
        ),
        *ctx.create_table(
            ACTIVITY,
            _ACTIVITY_COLUMNS,
            activity_clauses,
            engine="AggregatingMergeTree",
            shard_by="rand()",
        ),
        *ctx.create_materialized_view(
            f"{ROLLUP}_mv", to=ROLLUP, query=_rollup_select(traces_local, SERVER_SPAN)
        ),
        *ctx.create_materialized_view(
            f"{ACTIVITY}_mv", to=ACTIVITY, query=_activity_select(traces_local, "1")
        ),
        f"INSERT INTO {ctx.table(ROLLUP)}\n"
        + _rollup_select(traces, f"{SERVER_SPAN} AND {_cutoff(ctx, ROLLUP + '_mv')}"),
        f"INSERT INTO {ctx.table(ACTIVITY)}\n"
        + _activity_select(traces, _cutoff(ctx, ACTIVITY + "_mv")),
    ]
