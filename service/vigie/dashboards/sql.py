"""The SQL of the dashboards' traffic, log, trace, incident and pipeline panels.

Panel queries run in Grafana through the ClickHouse data source plugin, so they are written with
its macros (``$__timeFilter(c)``, ``$__timeInterval(c)``, ``$__interval_s``, ``$__fromTime``,
``$__toTime``, ``$__conditionalAll(cond, $var)``) and dashboard variables
(``${env:singlequote}``), never bound parameters. Values taken from the config (app names,
environments, routes) are written as SQL string literals through :func:`literal`. How a span
becomes an SLI event (server span, error, environment, route) comes from :mod:`vigie.slo.spans`.
The SLO panels' SQL is in :mod:`vigie.dashboards.slo_sql`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vigie.config.clubs import Locale
from vigie.dashboards.texts import text
from vigie.incidents.model import SILENT_SLO
from vigie.slo.spans import ENVIRONMENT, IS_ERROR, ROUTE, SERVER_SPAN
from vigie.store import tables
from vigie.store.tables import INCIDENT_EVENTS, OUTBOX
from vigie.store.tables import SERVICE_ACTIVITY as ACTIVITY
from vigie.store.tables import SLO_MINUTE as ROLLUP

SEVERITIES = ("page", "ticket", "no_data")
"""Incident severities (vigie.incidents.model), shown in words on the annotations."""

ENV_FILTER = "$__conditionalAll({env} IN (${{env:singlequote}}), $env)"
ROUTE_FILTER = "$__conditionalAll({route} IN (${{route:singlequote}}), $route)"


def literal(value: str) -> str:
    """A ClickHouse string literal: backslashes and quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _spans(app: str) -> str:
    """Server spans of one app, filtered by the dashboard's environment and route variables."""
    return (
        f"ServiceName = {literal(app)} AND {SERVER_SPAN}\n"
        f"  AND {ENV_FILTER.format(env=ENVIRONMENT)}\n"
        f"  AND {ROUTE_FILTER.format(route=ROUTE)}"
    )


# Variables ------------------------------------------------------------------------------------


def env_values(app: str) -> str:
    return (
        f"SELECT DISTINCT Environment FROM {ROLLUP}\n"
        f"WHERE ServiceName = {literal(app)} AND $__timeFilter(Minute)\n"
        "ORDER BY Environment"
    )


def route_values(app: str) -> str:
    return (
        f"SELECT DISTINCT Route FROM {ROLLUP}\n"
        f"WHERE ServiceName = {literal(app)} AND $__timeFilter(Minute)\n"
        f"  AND {ENV_FILTER.format(env='Environment')}\n"
        "ORDER BY Route"
    )


# Traffic panels (raw server spans) ------------------------------------------------------------


def request_rate(app: str) -> str:
    return (
        f"SELECT $__timeInterval(Timestamp) AS time, {ROUTE} AS route,\n"
        "       count() / $__interval_s AS requests_per_s\n"
        f"FROM {tables.TRACES}\n"
        f"WHERE $__timeFilter(Timestamp) AND {_spans(app)}\n"
        "GROUP BY time, route\nORDER BY time, route"
    )


def error_ratio(app: str) -> str:
    return (
        f"SELECT $__timeInterval(Timestamp) AS time, {ROUTE} AS route,\n"
        f"       countIf({IS_ERROR}) / count() AS error_ratio\n"
        f"FROM {tables.TRACES}\n"
        f"WHERE $__timeFilter(Timestamp) AND {_spans(app)}\n"
        "GROUP BY time, route\nORDER BY time, route"
    )


# Exact quantiles with linear interpolation (numpy's default), in milliseconds.
_QUANTILES = "quantilesExactInclusive(0.5, 0.95, 0.99)(Duration / 1e6)"


def latency(app: str) -> str:
    return (
        "SELECT time, q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms\n"
        f"FROM (\n    SELECT $__timeInterval(Timestamp) AS time, {_QUANTILES} AS q\n"
        f"    FROM {tables.TRACES}\n"
        f"    WHERE $__timeFilter(Timestamp) AND {_spans(app)}\n"
        "    GROUP BY time\n)\nORDER BY time"
    )


def routes_table(app: str) -> str:
    return (
        "SELECT route, requests, error_ratio, q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms\n"
        f"FROM (\n    SELECT {ROUTE} AS route, count() AS requests,\n"
        f"           countIf({IS_ERROR}) / count() AS error_ratio, {_QUANTILES} AS q\n"
        f"    FROM {tables.TRACES}\n"
        f"    WHERE $__timeFilter(Timestamp) AND {_spans(app)}\n"
        "    GROUP BY route\n)\nORDER BY requests DESC, route"
    )


def error_logs(app: str) -> str:
    """ERROR and FATAL records (SeverityNumber 17+); the route variable keeps the records of
    traces whose server span has one of the selected routes."""
    route_traces = (
        f"TraceId IN (SELECT TraceId FROM {tables.TRACES} WHERE $__timeFilter(Timestamp)"
        f" AND ServiceName = {literal(app)} AND {SERVER_SPAN}"
        f" AND {ROUTE} IN (${{route:singlequote}}))"
    )
    return (
        "SELECT Timestamp AS timestamp, Body AS body, SeverityText AS level,\n"
        "       ServiceName, TraceId, SpanId\n"
        f"FROM {tables.LOGS}\n"
        f"WHERE $__timeFilter(Timestamp) AND ServiceName = {literal(app)}"
        " AND SeverityNumber >= 17\n"
        f"  AND {ENV_FILTER.format(env=ENVIRONMENT)}\n"
        f"  AND $__conditionalAll({route_traces}, $route)\n"
        "ORDER BY Timestamp DESC\nLIMIT 200"
    )


def slow_traces(app: str) -> str:
    """The slowest and the failed server spans; their TraceId column gets the plugin's links
    into the trace view (it adds them to any frame with a TraceId field)."""
    return (
        "SELECT Timestamp AS time, TraceId, SpanName AS operation, "
        f"{ROUTE} AS route,\n"
        "       Duration / 1e6 AS duration_ms, StatusCode AS status,\n"
        f"       {IS_ERROR} AS failed\n"
        f"FROM {tables.TRACES}\n"
        f"WHERE $__timeFilter(Timestamp) AND {_spans(app)}\n"
        "ORDER BY failed DESC, Duration DESC, time DESC\nLIMIT 50"
    )


def _in_words(column: str, words: Mapping[str, str]) -> str:
    """``column`` with each of ``words``' keys replaced by its value (others as they are)."""
    keys = ", ".join(literal(k) for k in words)
    values = ", ".join(literal(v) for v in words.values())
    return f"transform({column}, [{keys}], [{values}], {column})"


def incident_regions(club: str, app: str, locale: Locale, slo_names: Mapping[str, str]) -> str:
    """Annotation regions: each incident of the app from its first event to its resolution
    (or the end of the range while open), with its SLO (named by ``slo_names``) and its worst
    severity in words."""
    severity = "argMax(severity, indexOf(['no_data', 'ticket', 'page'], severity))"
    worded = _in_words(severity, {s: text(locale, f"severity_{s}") for s in SEVERITIES})
    slo = _in_words("any(slo)", {**slo_names, SILENT_SLO: text(locale, "telemetry_slo")})
    return (
        "SELECT time, timeEnd, text, tags\n"
        "FROM (\n"
        "    SELECT min(at) AS time,\n"
        "           if(argMaxIf(kind, seq, kind IN ('opened', 'reopened', 'resolved'))"
        " = 'resolved',\n"
        "              maxIf(at, kind = 'resolved'), toDateTime64($__toTime, 3)) AS timeEnd,\n"
        f"           concat(incident_id, ' · ', {slo}, ' · ', {worded}) AS text,\n"
        f"           {worded} AS tags\n"
        f"    FROM {INCIDENT_EVENTS}\n"
        f"    WHERE club = {literal(club)} AND app = {literal(app)} AND at <= $__toTime\n"
        "    GROUP BY incident_id\n"
        ")\n"
        "WHERE timeEnd >= $__fromTime\n"
        "ORDER BY time"
    )


# Pipeline panels --------------------------------------------------------------------------------

# The activity rollup has one row per minute: buckets are never finer than that.
_ACTIVITY_STEP = "greatest($__interval_s, 60)"


def spans_ingested() -> str:
    return (
        f"SELECT toStartOfInterval(Minute, toIntervalSecond({_ACTIVITY_STEP})) AS time,\n"
        f"       ServiceName AS service, sum(Spans) / {_ACTIVITY_STEP} AS spans_per_s\n"
        f"FROM {ACTIVITY}\nWHERE $__timeFilter(Minute)\n"
        "GROUP BY time, service\nORDER BY time, service"
    )


def logs_ingested() -> str:
    return (
        "SELECT $__timeInterval(Timestamp) AS time, ServiceName AS service,\n"
        "       count() / $__interval_s AS records_per_s\n"
        f"FROM {tables.LOGS}\nWHERE $__timeFilter(Timestamp)\n"
        "GROUP BY time, service\nORDER BY time, service"
    )


def ingest_freshness() -> str:
    """Per service: the newest span and how long before the range's end it started (spans are
    written after they end, so this is ingest lag plus span duration plus batching)."""
    return (
        "SELECT ServiceName AS service, max(Timestamp) AS last_span,\n"
        "       dateDiff('second', max(Timestamp), $__toTime) AS lag_s, count() AS spans\n"
        f"FROM {tables.TRACES}\nWHERE $__timeFilter(Timestamp)\n"
        "GROUP BY service\nORDER BY lag_s DESC, service"
    )


EVALUATION_METRICS = ("vigie.slo.cycle.duration", "vigie.slo.cycle.lag")
"""Histograms the SLO evaluator records (vigie.slo.evaluator)."""
WRITE_METRICS = ("vigie.ingest.write_duration",)
"""The histogram of the receiver's ClickHouse writes (vigie.ingest.writer), per table."""


def histogram_means(names: Sequence[str]) -> str:
    """Mean recorded value per bucket of Vigie's own histograms, exported by its telemetry
    (VIGIE_SELF_TELEMETRY_ENDPOINT) through a collector into ``otel_metrics_histogram``.

    Points are cumulative: each point minus the previous one of the same series (metric,
    attributes, StartTimeUnix) is what was recorded between two exports; the first point of a
    series in the range only serves as a base."""
    listed = ", ".join(literal(n) for n in names)
    return (
        "SELECT $__timeInterval(TimeUnix) AS time, MetricName AS metric,\n"
        "       sum(d_sum) / sum(d_count) AS mean_s\n"
        "FROM (\n"
        "    SELECT TimeUnix, MetricName,\n"
        "           Sum - lagInFrame(Sum) OVER w AS d_sum,\n"
        "           toInt64(Count) - toInt64(lagInFrame(Count) OVER w) AS d_count,\n"
        "           row_number() OVER w AS n\n"
        f"    FROM {tables.METRICS_HISTOGRAM}\n"
        "    WHERE $__timeFilter(TimeUnix) AND ServiceName = 'vigie'\n"
        f"      AND MetricName IN ({listed}) AND AggregationTemporality = 2\n"
        "    WINDOW w AS (PARTITION BY MetricName, toString(Attributes), StartTimeUnix\n"
        "                 ORDER BY TimeUnix ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)\n"
        ")\n"
        "WHERE n > 1 AND d_count > 0\n"
        "GROUP BY time, metric\nORDER BY time, metric"
    )


NOTICE_OUTCOMES = ("sent", "failed", "retried", "dead")
"""Outbox events that end or retry a delivery (vigie.store.migrations.m0025_notify_outbox)."""


def notifications_over_time() -> str:
    outcomes = ", ".join(literal(e) for e in NOTICE_OUTCOMES)
    return (
        "SELECT $__timeInterval(at) AS time, concat(channel, ' ', event) AS outcome,"
        " count() AS notices\n"
        f"FROM {OUTBOX}\nWHERE $__timeFilter(at) AND event IN ({outcomes})\n"
        "GROUP BY time, outcome\nORDER BY time, outcome"
    )


def notifications_by_channel() -> str:
    """Per channel, over the range: notices delivered (sent), refused (failed), given up because
    the webhook is gone (dead), and attempts that will be retried."""
    counts = ", ".join(f"countIf(event = {literal(e)}) AS {e}" for e in NOTICE_OUTCOMES)
    return (
        f"SELECT channel, {counts}\n"
        f"FROM {OUTBOX}\nWHERE $__timeFilter(at)\n"
        "GROUP BY channel\nORDER BY channel"
    )


def silent_apps(apps: Sequence[tuple[str, str]]) -> str:
    """Configured apps (club, app) without any span in the range, with their last span minute
    within the activity rollup's retention (empty when older)."""
    pairs = ", ".join(f"({literal(club)}, {literal(app)})" for club, app in apps)
    return (
        "SELECT configured.club AS club, configured.app AS app,\n"
        "       nullIf(seen.last_minute, toDateTime(0, 'UTC')) AS last_seen\n"
        f"FROM (SELECT c.1 AS club, c.2 AS app FROM (SELECT arrayJoin([{pairs}]) AS c))"
        " AS configured\n"
        "LEFT JOIN (\n"
        f"    SELECT ServiceName, max(Minute) AS last_minute FROM {ACTIVITY}\n"
        "    WHERE Minute <= $__toTime GROUP BY ServiceName\n"
        ") AS seen ON seen.ServiceName = configured.app\n"
        f"WHERE configured.app NOT IN (SELECT ServiceName FROM {ACTIVITY}"
        " WHERE $__timeFilter(Minute))\n"
        "ORDER BY club, app"
    )
