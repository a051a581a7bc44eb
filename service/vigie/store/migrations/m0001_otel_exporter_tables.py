# ruff: noqa: E501  (DDL lines are kept as the exporter writes them, one column a line)
"""The OpenTelemetry Collector ClickHouse exporter's tables, as of contrib release v0.161.0.

Mirrors ``exporter/clickhouseexporter/internal/sqltemplates/*_table.sql`` (default branch: bloom
filter indexes, engine ``MergeTree()``) and the exporter's TTL expression
(``TTL <time> + toIntervalDay(n)``). Column names, types and codecs must stay exactly the
exporter's: with ``create_schema: false`` the real collector INSERTs into these tables. The
sources read are listed in docs/schema.md. Never edit this file: add a migration instead.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 1
DESCRIPTION = "OpenTelemetry Collector ClickHouse exporter tables (contrib v0.161.0)"

_SETTINGS = "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"

_TRACES_COLUMNS = """\
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1"""

_TRACE_ID_TS_COLUMNS = """\
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1"""

_LOGS_COLUMNS = """\
    `Timestamp` DateTime64(9) COMMENT 'Event timestamp with nanosecond precision' CODEC(Delta(8), ZSTD(1)),
    `TraceId` String COMMENT 'W3C trace identifier' CODEC(ZSTD(1)),
    `SpanId` String COMMENT 'W3C span identifier' CODEC(ZSTD(1)),
    `TraceFlags` UInt8 COMMENT 'W3C trace flags',
    `SeverityText` LowCardinality(String) COMMENT 'Log severity as text' CODEC(ZSTD(1)),
    `SeverityNumber` UInt8 COMMENT 'Log severity as number (1-24)',
    `ServiceName` LowCardinality(String) COMMENT 'Service that emitted the log' CODEC(ZSTD(1)),
    `Body` String COMMENT 'Log message body' CODEC(ZSTD(1)),
    `ResourceSchemaUrl` LowCardinality(String) COMMENT 'Schema URL for the resource' CODEC(ZSTD(1)),
    `ResourceAttributes` Map(LowCardinality(String), String) COMMENT 'Resource attributes as key-value pairs' CODEC(ZSTD(1)),
    `ScopeSchemaUrl` LowCardinality(String) COMMENT 'Schema URL for the instrumentation scope' CODEC(ZSTD(1)),
    `ScopeName` String COMMENT 'Instrumentation scope name' CODEC(ZSTD(1)),
    `ScopeVersion` LowCardinality(String) COMMENT 'Instrumentation scope version' CODEC(ZSTD(1)),
    `ScopeAttributes` Map(LowCardinality(String), String) COMMENT 'Instrumentation scope attributes' CODEC(ZSTD(1)),
    `LogAttributes` Map(LowCardinality(String), String) COMMENT 'Log record attributes' CODEC(ZSTD(1)),
    `EventName` String COMMENT 'Event name for log records representing events' CODEC(ZSTD(1)),
{materialized},
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8"""

# Resource attributes the exporter (since v0.151) materializes into their own logs columns.
_LOGS_MATERIALIZED_KEYS = (
    "k8s.cluster.name",
    "k8s.container.name",
    "k8s.deployment.name",
    "k8s.namespace.name",
    "k8s.node.name",
    "k8s.pod.name",
    "k8s.pod.uid",
    "deployment.environment.name",
)

# Columns every metric table starts with (v0.160+: MetricName LowCardinality, DateTime times).
_METRIC_HEAD = """\
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),"""

_EXEMPLARS = """\
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime,
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),"""

_METRIC_INDEXES = """\
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1"""

# Columns of each metric point type, between the common head and the indexes (exporter order).
_METRIC_BODIES = {
    "otel_metrics_gauge": f"""\
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
{_EXEMPLARS}""",
    "otel_metrics_sum": f"""\
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
{_EXEMPLARS}
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),""",
    "otel_metrics_histogram": f"""\
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
{_EXEMPLARS}
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),""",
    "otel_metrics_exponential_histogram": f"""\
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
{_EXEMPLARS}
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),""",
    "otel_metrics_summary": """\
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),""",
}

# Sharding keys on a cluster: a whole trace on one shard (the trace-id lookup view aggregates
# per shard); a metric series on one shard, so per-series rate queries never cross shards.
_TRACE_SHARD = "cityHash64(TraceId)"
_LOG_SHARD = "rand()"
_SERIES_SHARD = "cityHash64(ServiceName, MetricName, Attributes)"


def statements(ctx: MigrationContext) -> list[str]:
    return [*_traces(ctx), *_logs(ctx), *_metrics(ctx)]


def _clauses(*lines: str) -> str:
    return "\n".join(line for line in (*lines, _SETTINGS) if line)


def _traces(ctx: MigrationContext) -> list[str]:
    return [
        *ctx.create_table(
            "otel_traces",
            _TRACES_COLUMNS,
            _clauses(
                "PARTITION BY toDate(Timestamp)",
                "ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))",
                ctx.ttl("toDateTime(Timestamp)"),
            ),
            shard_by=_TRACE_SHARD,
        ),
        *ctx.create_table(
            "otel_traces_trace_id_ts",
            _TRACE_ID_TS_COLUMNS,
            _clauses(
                "PARTITION BY toDate(Start)",
                "ORDER BY (TraceId, Start)",
                ctx.ttl("toDateTime(Start)"),
            ),
            shard_by=_TRACE_SHARD,
        ),
        *ctx.create_materialized_view(
            "otel_traces_trace_id_ts_mv",
            to="otel_traces_trace_id_ts",
            query=(
                "SELECT TraceId, min(Timestamp) AS Start, max(Timestamp) AS End\n"
                f"FROM {ctx.local('otel_traces')}\nWHERE TraceId != ''\nGROUP BY TraceId"
            ),
        ),
    ]


def _logs(ctx: MigrationContext) -> list[str]:
    materialized = ",\n".join(
        f"    `__otel_materialized_{key}` LowCardinality(String) "
        f"MATERIALIZED ResourceAttributes['{key}'] CODEC(ZSTD(1))"
        for key in _LOGS_MATERIALIZED_KEYS
    )
    return ctx.create_table(
        "otel_logs",
        _LOGS_COLUMNS.format(materialized=materialized),
        _clauses(
            "PARTITION BY toDate(Timestamp)",
            "ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)",
            ctx.ttl("toDateTime(Timestamp)"),
        ),
        shard_by=_LOG_SHARD,
    )


def _metrics(ctx: MigrationContext) -> list[str]:
    clauses = _clauses(
        "PARTITION BY toDate(TimeUnix)",
        "ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)",
        ctx.ttl("toDateTime(TimeUnix)"),
    )
    return [
        statement
        for table, body in _METRIC_BODIES.items()
        for statement in ctx.create_table(
            table,
            f"{_METRIC_HEAD}\n{body}\n{_METRIC_INDEXES}",
            clauses,
            shard_by=_SERIES_SHARD,
        )
    ]
