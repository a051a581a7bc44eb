"""Every SQL statement of the SLO engine, in one place.

Windows are bound as an ``Array(DateTime)`` of start minutes (``starts``) with one common end
(``end``, exclusive: the current minute, still filling, is left out). The counting queries return,
per service, environment and route, element-wise sums over those windows (``sumForEach``), so one
query answers every window of every availability and latency SLO; latency SLOs add one count per
distinct threshold (``thresholds``), window-major: ``fast[w * len(thresholds) + t]``.

Custom SLIs carry admin-written aggregate expressions (checked by
:func:`vigie.config.sql_expr.check_sql_expression`); each becomes one ``UNION ALL`` branch of a
single query, its windows expanded with ``ARRAY JOIN`` so the expressions run unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigie.slo.spans import CEIL_MS, ENVIRONMENT, IS_ERROR, MINUTE, ROUTE, SERVER_SPAN
from vigie.store.migrations.m0010_slo_rollups import ACTIVITY, ROLLUP

_NO_THRESHOLDS = "CAST([], 'Array(UInt64)')"

# Inner rows: (Minute, ServiceName, Environment, Route, Total, Errors, Fast) from either source.
_ROLLUP_ROWS = """\
SELECT Minute, ServiceName, Environment, Route, Total, Errors, {fast} AS Fast
FROM {rollup}
WHERE ServiceName IN {{services:Array(String)}}
  AND Minute >= {{start:DateTime('UTC')}} AND Minute < {{end:DateTime('UTC')}}"""
_ROLLUP_FAST = (
    "arrayMap(t -> arraySum(mapValues(mapFilter((k, v) -> k <= t, LatencyMs))), "
    "{thresholds:Array(UInt32)})"
)

_RAW_ROWS = f"""\
SELECT {MINUTE} AS Minute, ServiceName, {ENVIRONMENT} AS Environment, {ROUTE} AS Route,
       toUInt64(1) AS Total, toUInt64({IS_ERROR}) AS Errors, {{fast}} AS Fast
FROM otel_traces
WHERE {SERVER_SPAN} AND ServiceName IN {{{{services:Array(String)}}}}
  AND Timestamp >= {{{{start:DateTime('UTC')}}}} AND Timestamp < {{{{end:DateTime('UTC')}}}}"""
_RAW_FAST = f"arrayMap(t -> toUInt64({CEIL_MS} <= t), {{thresholds:Array(UInt32)}})"

_COUNTS = """\
WITH {{starts:Array(DateTime('UTC'))}} AS starts
SELECT ServiceName, Environment, Route,
       sumForEach(arrayMap(s -> Total * (Minute >= s), starts)) AS totals,
       sumForEach(arrayMap(s -> Errors * (Minute >= s), starts)) AS errors,
       sumForEach(arrayFlatten(
           arrayMap(s -> arrayMap(g -> g * (Minute >= s), Fast), starts))) AS fast
FROM ({rows})
GROUP BY ServiceName, Environment, Route"""


def counts_sql(source: str, with_latency: bool) -> str:
    """Counts per service, environment and route for every window; ``source``: rollup | raw."""
    if source == "rollup":
        rows = _ROLLUP_ROWS.format(
            rollup=ROLLUP, fast=_ROLLUP_FAST if with_latency else _NO_THRESHOLDS
        )
    elif source == "raw":
        rows = _RAW_ROWS.format(fast=_RAW_FAST if with_latency else _NO_THRESHOLDS)
    else:
        raise ValueError(f"unknown source {source!r}")
    return _COUNTS.format(rows=rows)


LAST_SEEN = f"""\
SELECT ServiceName, Environment, max(Minute) AS last_minute
FROM {ACTIVITY}
WHERE ServiceName IN {{services:Array(String)}}
  AND Minute >= {{since:DateTime('UTC')}} AND Minute <= {{until:DateTime('UTC')}}
GROUP BY ServiceName, Environment"""

_CUSTOM_SOURCES = {
    # (table, minute expression, environment expression, time column)
    "rollup": (ROLLUP, "Minute", "Environment", "Minute"),
    "raw": ("otel_traces", MINUTE, ENVIRONMENT, "Timestamp"),
}

_CUSTOM_BRANCH = """\
SELECT {index} AS slo, w, toFloat64({good}) AS good, toFloat64({total}) AS total
FROM {table}
ARRAY JOIN arrayFilter(i -> {minute} >= {{starts:Array(DateTime('UTC'))}}[i],
                       range(1, length({{starts:Array(DateTime('UTC'))}}) + 1)) AS w
WHERE ServiceName = {{service_{index}:String}}
  AND ({{environment_{index}:String}} = '' OR {environment} = {{environment_{index}:String}})
  AND {time} >= {{start:DateTime('UTC')}} AND {time} < {{end:DateTime('UTC')}}
GROUP BY w"""


def custom_sql(branches: Sequence[tuple[int, str, str, str]]) -> str:
    """One query for every custom SLI: ``(index, source, good, total)`` per SLO.

    Rows: (slo index, window index from 1, good, total). ``good`` and ``total`` are the checked
    expressions of reviewed config files; every runtime value is a bound parameter.
    """
    parts = []
    for index, source, good, total in branches:
        table, minute, environment, time = _CUSTOM_SOURCES[source]
        parts.append(
            _CUSTOM_BRANCH.format(
                index=int(index),
                good=good,
                total=total,
                table=table,
                minute=minute,
                environment=environment,
                time=time,
            )
        )
    return "\nUNION ALL\n".join(parts)


SERIES = f"""\
SELECT toStartOfInterval(Minute, toIntervalSecond({{step:UInt32}}), 'UTC') AS t,
       Environment, Route, sum(Total) AS total, sum(Errors) AS errors,
       sum(arraySum(mapValues(mapFilter((k, v) -> k <= {{threshold:UInt32}}, LatencyMs)))) AS fast
FROM {ROLLUP}
WHERE ServiceName = {{service:String}}
  AND Minute >= {{start:DateTime('UTC')}} AND Minute < {{end:DateTime('UTC')}}
GROUP BY t, Environment, Route
ORDER BY t"""

_CUSTOM_SERIES = """\
SELECT toStartOfInterval({minute}, toIntervalSecond({{step:UInt32}}), 'UTC') AS t,
       toFloat64({good}) AS good, toFloat64({total}) AS total
FROM {table}
WHERE ServiceName = {{service:String}}
  AND ({{environment:String}} = '' OR {environment} = {{environment:String}})
  AND {time} >= {{start:DateTime('UTC')}} AND {time} < {{end:DateTime('UTC')}}
GROUP BY t
ORDER BY t"""


def custom_series_sql(source: str, good: str, total: str) -> str:
    table, minute, environment, time = _CUSTOM_SOURCES[source]
    return _CUSTOM_SERIES.format(
        minute=minute, good=good, total=total, table=table, environment=environment, time=time
    )
