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

from vigie.slo.spans import ENVIRONMENT, GRID_MS, IS_ERROR, ROUTE, SERVER_SPAN
from vigie.store.migrations.context import MigrationContext

VERSION = 11
DESCRIPTION = "SLO rollups by latency bucket per minute, hour and day, backfilled"

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
