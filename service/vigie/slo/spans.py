"""How a raw ``otel_traces`` row becomes an SLI event: the one definition, shared as SQL text.

The rollup's materialized view, its backfill and the raw-span evaluation (used by the benchmark
and the equivalence test) all read spans through these fragments, so they cannot drift apart:

* an event is a server span: ``SpanKind`` ``Server`` (or the pre-2024 ``SPAN_KIND_SERVER``);
* it is bad for availability when its status is ``Error`` (or ``STATUS_CODE_ERROR``) or its HTTP
  response status (``http.response.status_code``, else the old ``http.status_code``; attribute
  values are strings) is 500 or more. A 4xx is the client's fault, not an error;
* its environment is the resource's ``deployment.environment.name``, else the older
  ``deployment.environment``; its route is the span's ``http.route`` (empty when absent);
* its latency is kept as the duration in whole milliseconds rounded *up*
  (``ceil(Duration / 1e6)``). For an integer threshold T ms, ``Duration <= T·10⁶ ns`` holds
  exactly when ``ceil(Duration / 10⁶) <= T``, so any whole-millisecond threshold is answered
  exactly from the rollup, and a new threshold never needs a re-rollup.
"""

from __future__ import annotations

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

CEIL_MS = "toUInt32(least(intDiv(Duration + 999999, 1000000), 4294967295))"

MINUTE = "toStartOfMinute(toDateTime(Timestamp, 'UTC'))"
