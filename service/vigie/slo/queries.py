"""Every SQL statement of the SLO engine, in one place.

Every window ends at the same minute (exclusive: the current minute, still filling, is left
out), so the windows are nested and cut time into *rings* between consecutive window starts
(``bounds``, ascending). The counting query returns, per service, club (the span's namespace:
a span counts for a club's app only when it is that club's or has none, see
:mod:`vigie.slo.spans`), environment, route and ring,
the events, the errors and, for each distinct latency threshold (``thresholds``), the events at
most that long; a window is the sum of the rings from its start on. One query answers every
window of every availability and latency SLO. From the rollups, each ring is read as whole
days, whole hours and minutes (:mod:`vigie.slo.rings`), so the rows read stay bounded.

Custom SLIs carry admin-written aggregate expressions (checked by
:func:`vigie.config.sql_expr.check_sql_expression`); each becomes one ``UNION ALL`` branch of a
single query, its windows expanded with ``ARRAY JOIN`` so the expressions run unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vigie.slo.spans import (
    CEIL_MS,
    CLUB,
    ENVIRONMENT,
    IS_ERROR,
    MINUTE,
    ROUTE,
    SERVER_SPAN,
)
from vigie.store.tables import SERVICE_ACTIVITY as ACTIVITY
from vigie.store.tables import SLO_LE_DAY as DAY_LE
from vigie.store.tables import SLO_LE_HOUR as HOUR_LE
from vigie.store.tables import SLO_LE_MINUTE as MINUTE_LE
from vigie.store.tables import SLO_MINUTE as ROLLUP
from vigie.store.tables import VERSION_MINUTE

_NO_THRESHOLDS = "CAST([], 'Array(UInt64)')"

# One branch per rollup table: the rows of the wanted time pieces.
_ROLLUP_BRANCH = """\
SELECT ServiceName, Club, Environment, Route, Start, Le, Total, Errors
FROM {table}
WHERE ServiceName IN {{services:Array(String)}} AND ({pieces})"""

# Grouping on one hash of the series is cheaper than on three strings.
_ROLLUP_COUNTS = """\
SELECT any(ServiceName), any(Club), any(Environment), any(Route), {ring} AS ring,
       sum(Total) AS total, sum(Errors) AS errors, {fast} AS fast
FROM ({branches})
GROUP BY cityHash64(ServiceName, Club, Environment, Route) AS series, ring"""

_RAW_COUNTS = f"""\
SELECT ServiceName, Club, Environment, Route, {{ring}} AS ring,
       count() AS total, sum(error) AS errors, {{fast}} AS fast
FROM (
    SELECT ServiceName, {CLUB} AS Club, {ENVIRONMENT} AS Environment, {ROUTE} AS Route,
           {MINUTE} AS Start,
           toUInt64({IS_ERROR}) AS error, {CEIL_MS} AS ceil_ms
    FROM otel_traces
    WHERE {SERVER_SPAN} AND ServiceName IN {{{{services:Array(String)}}}}
      AND Timestamp >= {{{{start:DateTime('UTC')}}}} AND Timestamp < {{{{end:DateTime('UTC')}}}}
)
GROUP BY ServiceName, Club, Environment, Route, ring"""

ROLLUP_TABLES = {"minute": MINUTE_LE, "hour": HOUR_LE, "day": DAY_LE}

ENGINE_NOW = "SELECT toUnixTimestamp(now())"


def piece_param(resolution: str, index: int, end: str) -> str:
    """The name of the bound parameter holding one end (``lo``/``hi``) of a piece."""
    return f"{resolution}_{end}_{index}"


def counts_sql(
    source: str, *, bounds: int, thresholds: int, pieces: Mapping[str, int] | None = None
) -> str:
    """Counts per service, environment, route and ring, in one query.

    Bound parameters: ``bound_<i>`` (ring starts, ascending; ring r holds the rows at or after
    ``r`` of them), ``threshold_<t>`` (latency thresholds, ms), ``services``, and for
    ``source="rollup"`` each rollup piece ``<resolution>_lo_<i>`` / ``<resolution>_hi_<i>``
    (``pieces[resolution]`` of them), for ``source="raw"`` the range ``start`` / ``end``.
    Rows: (service, club, environment, route, ring, total, errors, fast), ``fast[t]`` counting the
    events at most ``threshold_<t>`` ms long.
    """
    ring = " + ".join(f"(Start >= {{bound_{i}:DateTime('UTC')}})" for i in range(bounds))
    if source == "raw":
        fast = ", ".join(f"countIf(ceil_ms <= {{threshold_{t}:UInt32}})" for t in range(thresholds))
        return _RAW_COUNTS.format(ring=ring, fast=f"[{fast}]" if fast else _NO_THRESHOLDS)
    if source != "rollup":
        raise ValueError(f"unknown source {source!r}")
    branches = []
    for resolution, count in (pieces or {}).items():
        if count == 0:
            continue
        ranges = " OR ".join(
            f"(Start >= {{{piece_param(resolution, i, 'lo')}:DateTime('UTC')}} "
            f"AND Start < {{{piece_param(resolution, i, 'hi')}:DateTime('UTC')}})"
            for i in range(count)
        )
        branches.append(_ROLLUP_BRANCH.format(table=ROLLUP_TABLES[resolution], pieces=ranges))
    if not branches:
        raise ValueError("no time range to read")
    fast = ", ".join(f"sumIf(Total, Le <= {{threshold_{t}:UInt32}})" for t in range(thresholds))
    return _ROLLUP_COUNTS.format(
        ring=ring,
        fast=f"[{fast}]" if fast else _NO_THRESHOLDS,
        branches="\n    UNION ALL\n".join(branches),
    )


LAST_SEEN = f"""\
SELECT ServiceName, Club, Environment, max(Minute) AS last_minute
FROM {ACTIVITY}
WHERE ServiceName IN {{services:Array(String)}}
  AND Minute >= {{since:DateTime('UTC')}} AND Minute <= {{until:DateTime('UTC')}}
GROUP BY ServiceName, Club, Environment"""

_CUSTOM_SOURCES = {
    # (table, minute expression, environment expression, time column, club expression)
    "rollup": (ROLLUP, "Minute", "Environment", "Minute", "Club"),
    "raw": ("otel_traces", MINUTE, ENVIRONMENT, "Timestamp", CLUB),
}

_CUSTOM_BRANCH = """\
SELECT {index} AS slo, w, toFloat64({good}) AS good, toFloat64({total}) AS total
FROM {table}
ARRAY JOIN arrayFilter(i -> {minute} >= {{starts:Array(DateTime('UTC'))}}[i],
                       range(1, length({{starts:Array(DateTime('UTC'))}}) + 1)) AS w
WHERE ServiceName = {{service_{index}:String}} AND {club} IN ({{club_{index}:String}}, '')
  AND ({{environment_{index}:String}} = '' OR {environment} = {{environment_{index}:String}})
  AND {time} >= {{start:DateTime('UTC')}} AND {time} < {{end:DateTime('UTC')}}
GROUP BY w"""


def custom_sql(branches: Sequence[tuple[int, str, str, str]]) -> str:
    """One query for every custom SLI: ``(index, source, good, total)`` per SLO.

    Rows: (slo index, window index from 1, good, total). ``good`` and ``total`` are the checked
    expressions of reviewed config files; every runtime value is a bound parameter.
    """
    parts = [
        _CUSTOM_BRANCH.format(index=int(index), good=good, total=total, **_source_fields(source))
        for index, source, good, total in branches
    ]
    return "\nUNION ALL\n".join(parts)


def _source_fields(source: str) -> dict[str, str]:
    """The table and column expressions a custom SLI's ``source`` reads."""
    return dict(
        zip(
            ("table", "minute", "environment", "time", "club"), _CUSTOM_SOURCES[source], strict=True
        )
    )


SERIES = f"""\
SELECT toStartOfInterval(Minute, toIntervalSecond({{step:UInt32}}), 'UTC') AS t,
       Environment, Route, sum(Total) AS total, sum(Errors) AS errors,
       sum(arraySum(mapValues(mapFilter((k, v) -> k <= {{threshold:UInt32}}, LatencyMs)))) AS fast
FROM {ROLLUP}
WHERE ServiceName = {{service:String}} AND Club IN ({{club:String}}, '')
  AND Minute >= {{start:DateTime('UTC')}} AND Minute < {{end:DateTime('UTC')}}
GROUP BY t, Environment, Route
ORDER BY t"""

_CUSTOM_SERIES = """\
SELECT toStartOfInterval({minute}, toIntervalSecond({{step:UInt32}}), 'UTC') AS t,
       toFloat64({good}) AS good, toFloat64({total}) AS total
FROM {table}
WHERE ServiceName = {{service:String}} AND {club} IN ({{club:String}}, '')
  AND ({{environment:String}} = '' OR {environment} = {{environment:String}})
  AND {time} >= {{start:DateTime('UTC')}} AND {time} < {{end:DateTime('UTC')}}
GROUP BY t
ORDER BY t"""


def custom_series_sql(source: str, good: str, total: str) -> str:
    return _CUSTOM_SERIES.format(good=good, total=total, **_source_fields(source))


# The rollout gate: one app's server spans per version, environment, route and latency bucket
# over the analysis window (migration 70's table; a few minutes of a few versions).
VERSION_COUNTS = """\
SELECT Version, Environment, Route, Le, sum(Total) AS total, sum(Errors) AS errors
FROM """ + VERSION_MINUTE + """
WHERE ServiceName = {app:String}
  AND Start >= {start:DateTime('UTC')} AND Start < {end:DateTime('UTC')}
GROUP BY Version, Environment, Route, Le"""
