"""Every SQL text of the generated dashboards, in one place.

Panel queries run in Grafana through the ClickHouse data source plugin, so they are written with
its macros (``$__timeFilter(c)``, ``$__timeInterval(c)``, ``$__interval_s``, ``$__toTime``,
``$__conditionalAll(cond, $var)``) and dashboard variables (``${env:singlequote}``), never bound
parameters. Values taken from the config (app names, environments, routes) are written as SQL
string literals through :func:`literal`; custom SLI expressions are the reviewed, checked
expressions of the SLO files, as the SLO engine uses them.

How a span becomes an SLI event comes from :mod:`vigie.slo.spans` (the fragments the rollups are
built from), the alert windows and pairs from :mod:`vigie.slo.windows`, the thresholds and the
verdict rules from :mod:`vigie.slo.decision` and :class:`vigie.slo.catalog.SloTarget`: the SLO
state, burn rates and budget shown in Grafana are the engine's, computed in SQL from the
per-minute rollup (the engine keeps no per-evaluation state in ClickHouse). Windows end at the
start of the minute of the dashboard's end time (``$__toTime``), like an evaluation at that
instant.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigie.config.slo import CustomSli
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import _TOLERANCE
from vigie.slo.evaluator import DEFAULT_STALE_AFTER
from vigie.slo.spans import ENVIRONMENT, IS_ERROR, MINUTE, ROUTE, SERVER_SPAN
from vigie.slo.windows import PAIRS, PRESENCE_WINDOW, WINDOWS
from vigie.store import tables
from vigie.store.migrations.m0010_slo_rollups import ACTIVITY, ROLLUP
from vigie.store.migrations.m0020_incident_events import TABLE as INCIDENT_EVENTS
from vigie.store.migrations.m0025_notify_outbox import OUTBOX

END = "toStartOfMinute($__toTime)"
"""The exclusive end of every SLO window: the start of the dashboard end time's minute."""

# The engine looks this far back for a service's last span (vigie.slo.evaluator).
_LAST_SEEN_LOOKBACK_S = int(max(WINDOWS.values()).total_seconds())

ENV_FILTER = "$__conditionalAll({env} IN (${{env:singlequote}}), $env)"
ROUTE_FILTER = "$__conditionalAll({route} IN (${{route:singlequote}}), $route)"


def literal(value: str) -> str:
    """A ClickHouse string literal: backslashes and quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _number(value: float) -> str:
    # repr round-trips: SQL gets the very float the Python engine compares with.
    return repr(float(value))


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


# SLO panels (per-minute rollup, or the custom SLI's source) ------------------------------------


def _slo_where(target: SloTarget, environment: str) -> str:
    parts = [f"ServiceName = {literal(target.app)}"]
    if target.environment is not None:
        parts.append(f"{environment} = {literal(target.environment)}")
    routes = target.slo.routes
    if routes is not None and routes.include:
        parts.append(f"Route IN ({', '.join(literal(r) for r in routes.include)})")
    if routes is not None and routes.exclude:
        parts.append(f"Route NOT IN ({', '.join(literal(r) for r in routes.exclude)})")
    return " AND ".join(parts)


def _good_total(target: SloTarget) -> tuple[str, str]:
    """Aggregates of good and all events over rows of the SLO's source table."""
    custom = target.custom
    if custom is not None:
        return f"toFloat64({custom.good})", f"toFloat64({custom.total})"
    if target.threshold_ms is None:
        return "toFloat64(sum(Total) - sum(Errors))", "toFloat64(sum(Total))"
    fast = (
        f"arraySum(mapValues(mapFilter((k, v) -> k <= {int(target.threshold_ms)}, LatencyMs)))"
    )
    return f"toFloat64(sum({fast}))", "toFloat64(sum(Total))"


def _source(target: SloTarget) -> tuple[str, str, str, str]:
    """(table, minute expression, environment expression, time column) of the SLO's events."""
    custom = target.custom
    if isinstance(custom, CustomSli) and custom.source == "raw":
        return tables.TRACES, MINUTE, ENVIRONMENT, "Timestamp"
    return ROLLUP, "Minute", "Environment", "Minute"


def sli_series(target: SloTarget) -> str:
    """SLI per time bucket of the dashboard range, and the objective as a ratio."""
    table, minute, environment, time = _source(target)
    good, total = _good_total(target)
    return (
        f"SELECT $__timeInterval({minute}) AS time, {good} / {total} AS sli,\n"
        f"       {_number(round(target.slo.objective / 100, 12))} AS objective\n"
        f"FROM {table}\n"
        f"WHERE $__timeFilter({time}) AND {_slo_where(target, environment)}\n"
        "GROUP BY time\nORDER BY time"
    )


def _labels(target: SloTarget) -> list[tuple[str, int]]:
    """(column suffix, seconds) of every alert window, then the SLO's period."""
    spans = [(label, int(span.total_seconds())) for label, span in WINDOWS.items()]
    return [*spans, ("period", int(target.slo.window_timedelta.total_seconds()))]


def _window_counts(target: SloTarget) -> str:
    """One row: ``t_<label>`` and ``b_<label>`` (events and bad events) for every window."""
    labels = _labels(target)
    seconds = ", ".join(str(s) for _, s in labels)
    longest = max(s for _, s in labels)
    table, minute, environment, time = _source(target)
    good, total = _good_total(target)
    rows = (
        f"SELECT w, {total} AS total, greatest({total} - {good}, 0) AS bad\n"
        f"    FROM {table}\n"
        f"    ARRAY JOIN arrayFilter(i -> {minute} >= {END} - toIntervalSecond([{seconds}][i]),"
        f" range(1, {len(labels) + 1})) AS w\n"
        f"    WHERE {_slo_where(target, environment)}\n"
        f"      AND {time} >= {END} - toIntervalSecond({longest}) AND {time} < {END}\n"
        "    GROUP BY w"
    )
    sums = ",\n       ".join(
        f"sumIf(total, w = {i}) AS t_{label}, sumIf(bad, w = {i}) AS b_{label}"
        for i, (label, _) in enumerate(labels, start=1)
    )
    return f"SELECT {sums}\nFROM (\n    {rows}\n)"


def _burn(label: str, budget: float) -> str:
    return f"if(t_{label} > 0, b_{label} / t_{label} / {_number(budget)}, NULL)"


def _pair_columns(target: SloTarget) -> tuple[list[str], dict[str, tuple[str, str, str]]]:
    """Per pair: (burning, fired, low traffic) conditions, as :func:`vigie.slo.decision.decide`
    judges them; and the select list of burn rates they use."""
    policy = target.policy
    columns = [f"{_burn(label, policy.budget)} AS burn_{label}" for label in WINDOWS]
    verdicts = {}
    for pair in PAIRS:
        bar = _number(pair.factor(policy.period) * (1 - _TOLERANCE))
        burning = (
            f"(t_{pair.long} > 0 AND t_{pair.short} > 0"
            f" AND burn_{pair.long} >= {bar} AND burn_{pair.short} >= {bar})"
        )
        enabled = policy.page if pair.severity == "page" else policy.ticket
        thick = f"t_{pair.long} >= {int(policy.min_events)}"
        fired = f"({burning} AND {thick})" if enabled else "0"
        thin = f"({burning} AND NOT ({thick}))" if enabled else "0"
        verdicts[pair.name] = (burning, fired, thin)
    return columns, verdicts


def _budget_left(target: SloTarget) -> str:
    budget = _number(target.policy.budget)
    return f"if(t_period > 0, 1 - b_period / ({budget} * t_period), NULL)"


def budget_remaining(target: SloTarget) -> str:
    """Share of the error budget left over the SLO's period (negative when overspent)."""
    return (
        f"SELECT {_budget_left(target)} AS budget_remaining\n"
        f"FROM (\n{_window_counts(target)}\n)"
    )


def burn_rates(target: SloTarget) -> str:
    """One row per alert pair: both burn rates, the threshold for this SLO's period, and the
    pair's verdict (firing, low_traffic, disabled or ok)."""
    columns, verdicts = _pair_columns(target)
    policy = target.policy
    rows = []
    for pair in PAIRS:
        burning, fired, thin = verdicts[pair.name]
        status = f"multiIf({fired}, 'firing', {thin}, 'low_traffic', {burning}, 'disabled', 'ok')"
        rows.append(
            f"tuple({literal(pair.name)}, {literal(pair.long)}, burn_{pair.long}, "
            f"{literal(pair.short)}, burn_{pair.short}, "
            f"{_number(pair.factor(policy.period))}, {status})"
        )
    return (
        "SELECT p.1 AS pair, p.2 AS long_window, p.3 AS long_burn, p.4 AS short_window,\n"
        "       p.5 AS short_burn, p.6 AS threshold, p.7 AS status\n"
        "FROM (\n"
        f"    SELECT arrayJoin([{', '.join(rows)}]) AS p\n"
        f"    FROM (SELECT *, {', '.join(columns)} FROM (\n{_window_counts(target)}\n))\n"
        ")"
    )


def _last_seen(target: SloTarget) -> str:
    where = f"ServiceName = {literal(target.app)}"
    if target.environment is not None:
        where += f" AND Environment = {literal(target.environment)}"
    return (
        f"(SELECT max(Minute) FROM {ACTIVITY} WHERE {where}"
        f" AND Minute >= {END} - toIntervalSecond({_LAST_SEEN_LOOKBACK_S})"
        " AND Minute <= $__toTime)"
    )


def slo_state_branch(target: SloTarget, dashboard_uid: str) -> str:
    """One row for one SLO: club, app, SLO, environment, state, budget left, worst burn rate
    of the alert windows, and the uid of the app's dashboard."""
    columns, verdicts = _pair_columns(target)
    stale = int(DEFAULT_STALE_AFTER.total_seconds())
    pages = " OR ".join(verdicts[p.name][1] for p in PAIRS if p.severity == "page")
    tickets = " OR ".join(verdicts[p.name][1] for p in PAIRS if p.severity == "ticket")
    thin = " OR ".join(verdicts[p.name][2] for p in PAIRS)
    state = (
        "multiIf(toUnixTimestamp(last_seen) = 0, 'no_data',\n"
        f"        dateDiff('second', last_seen, $__toTime) > {stale}, 'no_data',\n"
        f"        t_{PRESENCE_WINDOW} <= 0, 'no_data',\n"
        f"        {pages}, 'page',\n        {thin}, 'low_traffic',\n"
        f"        {tickets}, 'ticket', 'ok')"
    )
    worst = ", ".join(f"ifNull(burn_{label}, 0)" for label in WINDOWS)
    return (
        f"SELECT {literal(target.club)} AS club, {literal(target.app)} AS app,\n"
        f"       {literal(target.name)} AS slo, {literal(target.environment or '')} AS environment,"
        f"\n       {state} AS state,\n"
        f"       {_budget_left(target)} AS budget_remaining,\n"
        f"       greatest({worst}) AS worst_burn, {literal(dashboard_uid)} AS uid\n"
        f"FROM (SELECT *, {', '.join(columns)}, {_last_seen(target)} AS last_seen FROM (\n"
        f"{_window_counts(target)}\n))"
    )


STATE_RANK = {"page": 0, "no_data": 1, "low_traffic": 2, "ticket": 3, "ok": 4}
"""Overview order: what needs attention first."""


# Incidents: an incident's status is that of its latest opening, re-opening or resolving event
# (the rule of vigie.incidents.store); only events up to the end of the range count.
_INCIDENTS_AT_END = (
    "SELECT incident_id, any(club) AS club, any(app) AS app,\n"
    "       argMaxIf(kind, seq, kind IN ('opened', 'reopened', 'resolved')) AS status\n"
    f"    FROM {INCIDENT_EVENTS} WHERE at <= $__toTime GROUP BY incident_id"
)


def slo_states(branches: Sequence[str]) -> str:
    """Every SLO's state (see :func:`slo_state_branch`) and the open incidents of its app (any
    SLO, and the app's telemetry incident) at the end of the range, worst first."""
    rank = "[" + ", ".join(literal(s) for s in STATE_RANK) + "]"
    return (
        "SELECT s.club AS club, s.app AS app, slo, environment, state, budget_remaining,\n"
        "       worst_burn, i.open AS open_incidents, uid\n"
        "FROM (\n" + "\nUNION ALL\n".join(branches) + "\n) AS s\n"
        "LEFT JOIN (\n"
        "    SELECT club, app, countIf(status != 'resolved') AS open\n"
        f"    FROM ({_INCIDENTS_AT_END})\n"
        "    GROUP BY club, app\n"
        ") AS i ON i.club = s.club AND i.app = s.app\n"
        f"ORDER BY indexOf({rank}, state), budget_remaining, club, app, slo"
    )


def incident_regions(club: str, app: str) -> str:
    """Annotation regions: each incident of the app from its first event to its resolution
    (or the end of the range while open), with its worst severity and latest reason."""
    severity = "argMax(severity, indexOf(['no_data', 'ticket', 'page'], severity))"
    return (
        "SELECT time, timeEnd, text, tags\n"
        "FROM (\n"
        "    SELECT min(at) AS time,\n"
        "           if(argMaxIf(kind, seq, kind IN ('opened', 'reopened', 'resolved'))"
        " = 'resolved',\n"
        "              maxIf(at, kind = 'resolved'), toDateTime64($__toTime, 3)) AS timeEnd,\n"
        f"           concat(incident_id, ' ', any(slo), ' (', {severity}, '): ',"
        " argMax(reason, seq)) AS text,\n"
        f"           {severity} AS tags\n"
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
