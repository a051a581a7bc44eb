"""How a raw ``otel_traces`` row becomes an SLI event: the one definition, shared as SQL text.

The rollup's materialized view, its backfill and the raw-span evaluation (used by the benchmark
and the equivalence test) all read spans through these fragments, so they cannot drift apart:

* an event is a server span: ``SpanKind`` ``Server`` (or the pre-2024 ``SPAN_KIND_SERVER``);
* it is bad for availability when its status is ``Error`` (or ``STATUS_CODE_ERROR``) or its HTTP
  response status (``http.response.status_code``, else the old ``http.status_code``; attribute
  values are strings) is 500 or more. A 4xx is the client's fault, not an error;
* its club is the resource's ``k8s.namespace.name`` (empty when absent); a span counts for a
  club's app when its club is that club or empty (migration 45 says why empty is safe);
* its environment is the resource's ``deployment.environment.name``, else the older
  ``deployment.environment``; its route is the span's ``http.route`` (empty when absent);
* its latency is kept as the duration in whole milliseconds rounded *up*
  (``ceil(Duration / 1e6)``): for an integer threshold T ms, ``Duration <= T·10⁶ ns`` holds
  exactly when ``ceil(Duration / 10⁶) <= T``. The per-minute rollup keeps these exact values.
  The latency rollups keep them rounded *up* to the latency grid (:data:`GRID`): every integer
  up to 10 ms, then 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90 and 100 times each power of ten
  (100, 120, 150, 200, 250, 300, … 1000, 1200, …).
  For a threshold T on the grid, ``grid(ceil_ms) <= T`` exactly when ``ceil_ms <= T``
  (the grid value is the smallest grid point at or above ``ceil_ms``), so every threshold on
  the grid is answered exactly by every rollup, and a new threshold never needs a re-rollup.
  A threshold off the grid is rounded down to it (:func:`grid_floor`): spans between the two
  count as slow, the conservative side.
"""

from __future__ import annotations

import bisect

SERVER_SPAN = "SpanKind IN ('Server', 'SPAN_KIND_SERVER')"

STATUS_CODE = (
    "toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != '', "
    "SpanAttributes['http.response.status_code'], SpanAttributes['http.status_code']))"
)

IS_ERROR = f"(StatusCode IN ('Error', 'STATUS_CODE_ERROR') OR {STATUS_CODE} >= 500)"

ENVIRONMENT = (
    "if(ResourceAttributes['deployment.environment.name'] != '', "
    "ResourceAttributes['deployment.environment.name'], "
    "ResourceAttributes['deployment.environment'])"
)

ROUTE = "SpanAttributes['http.route']"

CLUB = "ResourceAttributes['k8s.namespace.name']"

CEIL_MS = "toUInt32(least(intDiv(Duration + 999999, 1000000), 4294967295))"

MINUTE = "toStartOfMinute(toDateTime(Timestamp, 'UTC'))"


def _grid() -> tuple[int, ...]:
    points = list(range(0, 11))
    for exponent in range(1, 9):
        for mantissa in (1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10):
            points.append(round(mantissa * 10**exponent))
    return (*points, 2**32 - 1)


GRID: tuple[int, ...] = _grid()
"""Latency grid in ms: 0-10, then 12, 15, 20, 25, 30, 40 … 90, 100, 120, 150 … (and up)."""


def grid_sql(ms: str) -> str:
    """SQL rounding the UInt32 expression ``ms`` up to the latency grid."""
    points = ", ".join(str(p) for p in GRID)
    return f"toUInt32(arrayFirst(g -> g >= {ms}, [{points}]))"


GRID_MS = grid_sql(CEIL_MS)


def grid_floor(threshold_ms: float) -> int:
    """The largest grid value not above ``threshold_ms``: the threshold the rollups answer."""
    return GRID[bisect.bisect_right(GRID, threshold_ms) - 1]
