"""Names and insertable columns of the telemetry tables (the OTel ClickHouse exporter's).

The one place other modules take them from: the OTLP converter produces rows in exactly these
columns, queries name these tables. Nested columns appear flattened (``Events.Timestamp`` …),
as ClickHouse stores and inserts them. Materialized columns (``__otel_materialized_*`` in
``otel_logs``) are computed by the server and are not listed. The DDL lives in migration 0001;
tests check these lists against the tables it creates.
"""

from __future__ import annotations

TRACES = "otel_traces"
TRACE_ID_TS = "otel_traces_trace_id_ts"
TRACE_ID_TS_MV = "otel_traces_trace_id_ts_mv"
LOGS = "otel_logs"
METRICS_GAUGE = "otel_metrics_gauge"
METRICS_SUM = "otel_metrics_sum"
METRICS_HISTOGRAM = "otel_metrics_histogram"
METRICS_EXPONENTIAL_HISTOGRAM = "otel_metrics_exponential_histogram"
METRICS_SUMMARY = "otel_metrics_summary"

# Values the exporter writes (since contrib PR #34799) in otel_traces.SpanKind / StatusCode.
SPAN_KIND_SERVER = "Server"
STATUS_CODE_ERROR = "Error"
STATUS_CODE_OK = "Ok"
STATUS_CODE_UNSET = "Unset"

TRACES_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)

LOGS_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ScopeSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "LogAttributes",
    "EventName",
)

_METRIC_HEAD: tuple[str, ...] = (
    "ResourceAttributes",
    "ResourceSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "ScopeDroppedAttrCount",
    "ScopeSchemaUrl",
    "ServiceName",
    "MetricName",
    "MetricDescription",
    "MetricUnit",
    "Attributes",
    "StartTimeUnix",
    "TimeUnix",
)

_EXEMPLARS: tuple[str, ...] = (
    "Exemplars.FilteredAttributes",
    "Exemplars.TimeUnix",
    "Exemplars.Value",
    "Exemplars.SpanId",
    "Exemplars.TraceId",
)

METRICS_GAUGE_COLUMNS: tuple[str, ...] = (*_METRIC_HEAD, "Value", "Flags", *_EXEMPLARS)

METRICS_SUM_COLUMNS: tuple[str, ...] = (
    *METRICS_GAUGE_COLUMNS,
    "AggregationTemporality",
    "IsMonotonic",
)

METRICS_HISTOGRAM_COLUMNS: tuple[str, ...] = (
    *_METRIC_HEAD,
    "Count",
    "Sum",
    "BucketCounts",
    "ExplicitBounds",
    *_EXEMPLARS,
    "Flags",
    "Min",
    "Max",
    "AggregationTemporality",
)

METRICS_EXPONENTIAL_HISTOGRAM_COLUMNS: tuple[str, ...] = (
    *_METRIC_HEAD,
    "Count",
    "Sum",
    "Scale",
    "ZeroCount",
    "PositiveOffset",
    "PositiveBucketCounts",
    "NegativeOffset",
    "NegativeBucketCounts",
    *_EXEMPLARS,
    "Flags",
    "Min",
    "Max",
    "AggregationTemporality",
)

METRICS_SUMMARY_COLUMNS: tuple[str, ...] = (
    *_METRIC_HEAD,
    "Count",
    "Sum",
    "ValueAtQuantiles.Quantile",
    "ValueAtQuantiles.Value",
    "Flags",
)

# Every table a writer inserts into, with its insertable columns in table order.
INSERT_COLUMNS: dict[str, tuple[str, ...]] = {
    TRACES: TRACES_COLUMNS,
    LOGS: LOGS_COLUMNS,
    METRICS_GAUGE: METRICS_GAUGE_COLUMNS,
    METRICS_SUM: METRICS_SUM_COLUMNS,
    METRICS_HISTOGRAM: METRICS_HISTOGRAM_COLUMNS,
    METRICS_EXPONENTIAL_HISTOGRAM: METRICS_EXPONENTIAL_HISTOGRAM_COLUMNS,
    METRICS_SUMMARY: METRICS_SUMMARY_COLUMNS,
}

# Vigie's own tables. The migrations under store/migrations/ spell them as literals (frozen SQL);
# every other module takes them from here.
SCHEMA_MIGRATIONS = "vigie_schema_migrations"
SLO_MINUTE = "vigie_slo_minute"
SERVICE_ACTIVITY = "vigie_service_activity"
SLO_LE_MINUTE = "vigie_slo_le_minute"
SLO_LE_HOUR = "vigie_slo_le_hour"
SLO_LE_DAY = "vigie_slo_le_day"
INCIDENT_EVENTS = "vigie_incident_events"
INCIDENT_NOTICES = "vigie_incident_notices"
SILENCES = "vigie_silences"
OUTBOX = "vigie_outbox"
REPORT_VERSIONS = "vigie_report_versions"
API_TOKENS = "vigie_api_tokens"
TOKEN_USES = "vigie_token_uses"
VERSION_MINUTE = "vigie_version_minute"
GATE_OVERRIDES = "vigie_gate_overrides"
