"""SLO rollups by latency bucket, per minute, hour and day: what every evaluation cycle reads.

One row per service, environment, route, time bucket and latency grid value ``Le`` (durations
rounded up to the grid of :mod:`vigie.slo.spans`), holding the number of server spans and of
errors. Availability sums every ``Le``; a latency SLO with threshold T counts the rows with
``Le <= T`` as good, exactly for any T on the grid.

A window is cut into whole UTC days, whole hours at its edges and minutes at the very edges
(:mod:`vigie.slo.rings`): the rows read are bounded by the series and the grid, not by the raw
volume. Fed and backfilled like migration 10: views first, then spans that started before each
view's creation second.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext
from vigie.store.migrations.m0010_slo_rollups import (
    CEIL_MS,
    ENVIRONMENT,
    IS_ERROR,
    ROUTE,
    SERVER_SPAN,
)

VERSION = 11
DESCRIPTION = "SLO rollups by latency bucket per minute, hour and day, backfilled"

# The span expressions frozen in migration 10 (a migration imports only frozen code: never
# ``vigie.slo.spans``, whose edits would change this migration's checksum).
# fmt: off
_GRID = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 120, 150,
    200, 250, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000,
    6000, 7000, 8000, 9000, 10000, 12000, 15000, 20000, 25000, 30000, 40000, 50000, 60000, 70000,
    80000, 90000, 100000, 120000, 150000, 200000, 250000, 300000, 400000, 500000, 600000, 700000,
    800000, 900000, 1000000, 1200000, 1500000, 2000000, 2500000, 3000000, 4000000, 5000000,
    6000000, 7000000, 8000000, 9000000, 10000000, 12000000, 15000000, 20000000, 25000000, 30000000,
    40000000, 50000000, 60000000, 70000000, 80000000, 90000000, 100000000, 120000000, 150000000,
    200000000, 250000000, 300000000, 400000000, 500000000, 600000000, 700000000, 800000000,
    900000000, 1000000000, 4294967295,
)
# fmt: on
GRID_MS = f"toUInt32(arrayFirst(g -> g >= {CEIL_MS}, [{', '.join(map(str, _GRID))}]))"

MINUTE = "vigie_slo_le_minute"
HOUR = "vigie_slo_le_hour"
DAY = "vigie_slo_le_day"

# table: (bucket start function, partition key, sort key, kept at least this many days).
# A cycle reads short time ranges of every series from the minute and hour tables (time first
# in the sort key: only those granules are read) and nearly all of the day table.
_SERIES = "ServiceName, Environment, Route"
_TABLES = {
    MINUTE: ("toStartOfMinute", "toDate(Start)", f"Start, {_SERIES}, Le", 7),
    HOUR: ("toStartOfHour", "toDate(Start)", f"Start, {_SERIES}, Le", 90),
    DAY: ("toStartOfDay", "toYYYYMM(Start)", f"{_SERIES}, Start, Le", 90),
}

_COLUMNS = """\
    Start DateTime('UTC') CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Route LowCardinality(String),
    Le UInt32,
    Total SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64)"""


def _select(truncate: str, source: str, where: str) -> str:
    return (
        f"SELECT {truncate}(toDateTime(Timestamp, 'UTC')) AS Start, ServiceName, "
        f"{ENVIRONMENT} AS Environment, {ROUTE} AS Route, {GRID_MS} AS Le, "
        f"count() AS Total, countIf({IS_ERROR}) AS Errors\n"
        f"FROM {source}\nWHERE {where}\nGROUP BY Start, ServiceName, Environment, Route, Le"
    )


def statements(ctx: MigrationContext) -> list[str]:
    out: list[str] = []
    for table, (truncate, partition, order, min_days) in _TABLES.items():
        clauses = [f"PARTITION BY {partition}", f"ORDER BY ({order})"]
        if ctx.ttl_days:
            clauses.append(f"TTL Start + toIntervalDay({max(ctx.ttl_days, min_days)})")
        view = f"{table}_mv"
        cutoff = (
            "Timestamp < (SELECT any(metadata_modification_time) FROM system.tables "
            f"WHERE database = '{ctx.database}' AND name = '{view}')"
        )
        out += [
            *ctx.create_table(
                table,
                _COLUMNS,
                "\n".join(clauses),
                engine="AggregatingMergeTree",
                shard_by="rand()",
            ),
            *ctx.create_materialized_view(
                view, to=table, query=_select(truncate, ctx.local("otel_traces"), SERVER_SPAN)
            ),
            f"INSERT INTO {ctx.table(table)}\n"
            + _select(truncate, ctx.table("otel_traces"), f"{SERVER_SPAN} AND {cutoff}"),
        ]
    return out
