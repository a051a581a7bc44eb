"""One dashboard per app, written for its club's captain, in the club's language.

Rows, top to bottom:

* **Is my site up?** the app's state in words (the worst of its SLOs, as the engine judges it),
  each SLO's compliance over its period against the objective, and the error budget left as a
  gauge;
* **Objectives**: each SLI over the time range with its objective;
* **Traffic**: requests per second and error ratio by route, response time percentiles, a table
  per route; the error and latency panels draw the availability and latency objectives as
  threshold lines;
* **Usage over 30 days**: requests per day and route, whatever the dashboard's range;
* **Resources**: CPU, memory and restarts of the app's pods, from the collector's Kubernetes
  receivers (empty when the platform does not collect them);
* **Logs and traces**: recent error logs, failed and slowest requests (their TraceId opens the
  trace view).

Incidents and deployments (``service.version`` changes) are drawn as annotations. Burn rates
are for admins: they live on the admin overview. The ``env`` and ``route`` variables filter the
traffic, usage, log and trace panels; SLO panels keep the SLO's own definition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from vigie.config.clubs import Locale
from vigie.config.slo import SloFile
from vigie.dashboards import platform_sql, slo_sql, sql
from vigie.dashboards.model import (
    DATASOURCE,
    Panel,
    dashboard,
    gauge,
    query_variable,
    row,
    stat,
    table,
    timeseries,
    with_datasource,
)
from vigie.dashboards.texts import period, text
from vigie.slo.catalog import SloTarget, targets_from_files

_UID_MAX = 40  # Grafana's limit for dashboard and folder uids
DEFAULT_TIMEZONE = "America/Montreal"
STATE_COLORS = {"page": "red", "no_data": "purple", "low_traffic": "blue", "ticket": "orange",
                "ok": "green"}


def dashboard_uid(club: str, app: str) -> str:
    """Stable uid of an app's dashboard: readable when it fits, else a digest of the names."""
    readable = f"vigie-{club}-{app}"
    if len(readable) <= _UID_MAX:
        return readable
    return "vigie-" + hashlib.sha256(f"{club}/{app}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Built:
    """A generated dashboard: where it goes, its JSON, and its panels in JSON order."""

    path: str
    json: dict[str, Any]
    panels: tuple[Panel, ...]


def rename(column: str, title: str, **more: Any) -> dict[str, Any]:
    """Override showing a query column (or series) under a reader's name."""
    properties = [{"id": "displayName", "value": title}]
    properties += [{"id": key.replace("_", "."), "value": value} for key, value in more.items()]
    return {"matcher": {"id": "byName", "options": column}, "properties": properties}


def by_label(column: str, label: str) -> dict[str, Any]:
    """Series of ``column`` named by their ``label`` value alone (a route, a pod), not by the
    query's column name."""
    return rename(column, "${__field.labels." + label + "}")


def _words(locale: Locale, column: str, values: dict[str | int, str]) -> dict[str, Any]:
    """``column`` renamed, its raw values shown as words of the club's language."""
    override = rename(column, text(locale, column))
    override["properties"].append({"id": "mappings", "value": [{"type": "value", "options": {
        str(raw): {"index": i, "text": text(locale, key)}
        for i, (raw, key) in enumerate(values.items())}}]})
    return override


def _threshold_line(value: float | None) -> dict[str, Any]:
    """Field defaults drawing ``value`` as a red dashed line (none when ``value`` is None)."""
    if value is None:
        return {}
    return {"custom": {"fillOpacity": 10, "showPoints": "never",
                       "thresholdsStyle": {"mode": "dashed"}},
            "thresholds": {"mode": "absolute", "steps": [{"color": "transparent", "value": None},
                                                         {"color": "red", "value": value}]}}


def _what(locale: Locale, target: SloTarget) -> str:
    if target.kind in ("availability", "latency"):
        return text(locale, f"kind_{target.kind}")
    return target.name


def _good(locale: Locale, target: SloTarget) -> str:
    if target.kind == "latency":
        return text(locale, "good_latency", ms=target.threshold_ms)
    if target.kind == "availability":
        return text(locale, "good_availability")
    return text(locale, "good_custom", name=target.name)


def _where(target: SloTarget) -> str:
    return f" ({target.environment})" if target.environment else ""


def _percent(locale: Locale, objective: float) -> str:
    """``99.9`` / ``99,9`` (the French decimal comma)."""
    return f"{objective:g}".replace(".", "," if locale == "fr" else ".")


def _objective_steps(objective: float) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"color": "red", "value": None},
                                          {"color": "green", "value": round(objective / 100, 12)}]}


def _status(locale: Locale, targets: list[SloTarget], uid: str) -> list[Panel]:
    mapping = [{"type": "value", "options": {
        state: {"color": color, "index": index, "text": text(locale, f"state_{state}")}
        for index, (state, color) in enumerate(STATE_COLORS.items())}}]
    panels = [
        row("status", text(locale, "row_status")),
        stat("state", text(locale, "state"), slo_sql.app_state(targets, uid), width=4,
             column="state", description=text(locale, "state_description"),
             field_config={"mappings": mapping, "thresholds": {"mode": "absolute", "steps": [
                 {"color": "text", "value": None}]}}),
    ]
    for target in targets:
        slo = target.slo
        what, days = _what(locale, target), period(locale, slo.window)
        where = _where(target)
        panels.append(stat(
            f"slo:{target.name}:compliance",
            text(locale, "compliance", what=what, where=where, period=days),
            slo_sql.compliance(target), width=5,
            description=text(locale, "compliance_description", good=_good(locale, target),
                             period=days, objective=_percent(locale, slo.objective)),
            field_config={"decimals": 2, "thresholds": _objective_steps(slo.objective),
                          "unit": "percentunit"}))
        panels.append(gauge(
            f"slo:{target.name}:budget", text(locale, "budget", what=what, where=where),
            slo_sql.budget_remaining(target), width=5,
            description=text(locale, "budget_description", period=days),
            field_config={"decimals": 1, "max": 1, "min": 0, "unit": "percentunit",
                          "thresholds": {"mode": "absolute", "steps": [
                              {"color": "red", "value": None}, {"color": "orange", "value": 0},
                              {"color": "green", "value": 0.25}]}}))
    return panels


def _objectives(locale: Locale, targets: list[SloTarget]) -> list[Panel]:
    panels = [row("objectives", text(locale, "row_objectives"))]
    for target in targets:
        panels.append(timeseries(
            f"slo:{target.name}:sli",
            text(locale, "objective_title", what=_what(locale, target), where=_where(target)),
            slo_sql.sli_series(target), unit="percentunit", width=12,
            description=text(locale, "objective_description", good=_good(locale, target),
                             objective=_percent(locale, target.slo.objective)),
            defaults={"decimals": 3},
            overrides=[rename("sli", text(locale, "measured")),
                       rename("objective", text(locale, "objective"))]))
    return panels


def _traffic(locale: Locale, app: str, targets: list[SloTarget]) -> list[Panel]:
    budgets = [1 - t.slo.objective / 100 for t in targets if t.kind == "availability"]
    thresholds = [t.threshold_ms for t in targets if t.threshold_ms is not None]
    tolerated = round(min(budgets), 12) if budgets else None
    return [
        row("traffic", text(locale, "row_traffic")),
        timeseries("request_rate", text(locale, "request_rate"), sql.request_rate(app),
                   unit="reqps", description=text(locale, "request_rate_description"),
                   overrides=[by_label("requests_per_s", "route")]),
        timeseries("error_ratio", text(locale, "error_ratio"), sql.error_ratio(app),
                   unit="percentunit", description=text(locale, "error_ratio_description"),
                   defaults=_threshold_line(tolerated),
                   overrides=[by_label("error_ratio", "route")]),
        timeseries("latency", text(locale, "latency"), sql.latency(app), unit="ms",
                   description=text(locale, "latency_description"),
                   defaults=_threshold_line(min(thresholds) if thresholds else None),
                   overrides=[rename("p50_ms", text(locale, "p50")),
                              rename("p95_ms", text(locale, "p95")),
                              rename("p99_ms", text(locale, "p99"))]),
        table("routes", text(locale, "routes"), sql.routes_table(app), height=8,
              description=text(locale, "routes_description"),
              options={"sortBy": [{"desc": True, "displayName": text(locale, "requests")}]},
              overrides=[rename("route", text(locale, "route")),
                         rename("requests", text(locale, "requests")),
                         rename("error_ratio", text(locale, "errors"), unit="percentunit"),
                         rename("p50_ms", text(locale, "p50"), unit="ms"),
                         rename("p95_ms", text(locale, "p95"), unit="ms"),
                         rename("p99_ms", text(locale, "p99"), unit="ms")]),
    ]


def _usage(locale: Locale, app: str, timezone: str) -> list[Panel]:
    bars = {"custom": {"drawStyle": "bars", "fillOpacity": 80, "showPoints": "never",
                       "stacking": {"group": "A", "mode": "normal"}}}
    panel = timeseries("requests_per_day", text(locale, "requests_per_day"),
                       platform_sql.requests_per_day(app, timezone), unit="short", width=24,
                       description=text(locale, "requests_per_day_description"),
                       defaults=bars, overrides=[by_label("requests", "route")])
    panel.time_from = "30d"
    return [row("usage", text(locale, "row_usage")), panel]


def _resources(locale: Locale, app: str) -> list[Panel]:
    return [
        row("resources", text(locale, "row_resources")),
        timeseries("cpu", text(locale, "cpu"),
                   platform_sql.pod_gauge(app, platform_sql.CPU_METRIC), unit="short",
                   width=10, description=text(locale, "cpu_description"),
                   overrides=[by_label("value", "pod")]),
        timeseries("memory", text(locale, "memory"),
                   platform_sql.pod_gauge(app, platform_sql.MEMORY_METRIC), unit="bytes",
                   width=10, description=text(locale, "memory_description"),
                   overrides=[by_label("value", "pod")]),
        stat("restarts", text(locale, "restarts"), platform_sql.restarts(app), width=4,
             height=8, description=text(locale, "restarts_description"),
             field_config={"noValue": "0", "thresholds": {"mode": "absolute", "steps": [
                 {"color": "green", "value": None}, {"color": "orange", "value": 1}]}}),
    ]


def _logs_and_traces(locale: Locale, app: str) -> list[Panel]:
    return [
        row("investigate", text(locale, "row_investigate")),
        Panel(key="error_logs", title=text(locale, "error_logs"), type="logs", width=12,
              height=10, sql=sql.error_logs(app), fmt="logs",
              description=text(locale, "error_logs_description"),
              options={"dedupStrategy": "none", "enableLogDetails": True,
                       "prettifyLogMessage": False, "showCommonLabels": False,
                       "showLabels": False, "showLogContextToggle": False, "showTime": True,
                       "sortOrder": "Descending", "wrapLogMessage": True}),
        table("slow_traces", text(locale, "slow_traces"), sql.slow_traces(app), width=12,
              height=10, query_type="traces", description=text(locale, "slow_traces_description"),
              overrides=[rename("time", text(locale, "time")),
                         rename("operation", text(locale, "operation")),
                         rename("route", text(locale, "route")),
                         rename("duration_ms", text(locale, "duration"), unit="ms"),
                         _words(locale, "status", {"Error": "status_error", "Ok": "status_ok",
                                                   "Unset": "status_unset"}),
                         _words(locale, "failed", {0: "no", 1: "yes"})]),
    ]


def incident_annotation(club: str, app: str, locale: Locale,
                        targets: list[SloTarget]) -> dict[str, Any]:
    """Vigie's incidents of the app as shaded regions (the plugin's annotation query form)."""
    names = {t.name: _what(locale, t) for t in targets}
    return {
        "datasource": DATASOURCE,
        "enable": True,
        "hide": False,
        "iconColor": "red",
        "name": text(locale, "annotation_incidents"),
        "target": {"editorType": "sql", "format": 1,
                   "rawSql": sql.incident_regions(club, app, locale, names),
                   "refId": "Incidents"},
    }


def deployment_annotation(app: str, locale: Locale) -> dict[str, Any]:
    """Each new ``service.version`` of the app, as a line where it first appeared."""
    label = text(locale, "deployment", env="{env}", old="{old}", new="{new}")
    return {
        "datasource": DATASOURCE,
        "enable": True,
        "hide": False,
        "iconColor": "blue",
        "name": text(locale, "annotation_deployments"),
        "target": {"editorType": "sql", "format": 1,
                   "rawSql": platform_sql.deployments(app, label), "refId": "Deployments"},
    }


def app_dashboard(club: str, app: str, files: list[SloFile], *, locale: Locale = "fr",
                  club_name: str | None = None, timezone: str = DEFAULT_TIMEZONE,
                  datasource_uid: str | None = None) -> Built:
    """The dashboard of one app from its SLO files (one per environment at most); every query
    goes through ``datasource_uid`` (the club's data source) when given."""
    targets = targets_from_files(files)
    uid = dashboard_uid(club, app)
    panels = [*_status(locale, targets, uid), *_objectives(locale, targets),
              *_traffic(locale, app, targets), *_usage(locale, app, timezone),
              *_resources(locale, app), *_logs_and_traces(locale, app)]
    variables = [
        query_variable("env", text(locale, "var_env"), sql.env_values(app)),
        query_variable("route", text(locale, "var_route"), sql.route_values(app)),
    ]
    data = dashboard(
        uid=uid,
        title=f"{app} ({club_name or club})",
        description=text(locale, "dashboard_description", app=app),
        tags=["vigie", f"club:{club}"],
        panels=panels,
        variables=variables,
        annotations=[incident_annotation(club, app, locale, targets),
                     deployment_annotation(app, locale)],
        timezone=timezone,
        builtin_name=text(locale, "annotation_builtin"),
    )
    if datasource_uid is not None:
        data = with_datasource(data, {**DATASOURCE, "uid": datasource_uid})
    return Built(f"{club}/{app}.json", data, tuple(panels))
