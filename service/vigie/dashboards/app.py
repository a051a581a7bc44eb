"""One dashboard per app: traffic by route, its SLOs, error logs and traces.

Rows, top to bottom: traffic from the app's server spans (request rate, error ratio, latency
percentiles, per-route table), one row per SLO (SLI against the objective, error budget left
over the SLO's period, burn rates of the four alert pairs with their thresholds), then recent
error logs and the slowest or failed traces (their TraceId opens Grafana's trace view).

The ``env`` and ``route`` variables filter the traffic, log and trace panels; SLO panels keep
the SLO's own definition (its environment and route filter), whatever the variables say.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from vigie.config.slo import SloFile
from vigie.dashboards import slo_sql, sql
from vigie.dashboards.model import (
    DATASOURCE,
    TIMES,
    Panel,
    dashboard,
    query_variable,
    row,
    table,
    timeseries,
    unit_override,
)
from vigie.slo.catalog import SloTarget, targets_from_files

_UID_MAX = 40  # Grafana's limit for dashboard and folder uids


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


def _traffic(app: str) -> list[Panel]:
    return [
        row("traffic", "Trafic / Traffic"),
        timeseries("request_rate", "Requêtes par seconde / Requests per second",
                   sql.request_rate(app), unit="reqps",
                   description="Server spans per second, by http.route."),
        timeseries("error_ratio", "Taux d'erreur / Error ratio", sql.error_ratio(app),
                   unit="percentunit",
                   description="Share of server spans that failed (status Error or HTTP 5xx)."),
        timeseries("latency", "Latence p50 / p95 / p99 / Latency", sql.latency(app), unit="ms",
                   description="Server span duration percentiles over the selected routes."),
        table("routes", "Routes", sql.routes_table(app), height=8,
              options={"sortBy": [{"desc": True, "displayName": "requests"}]},
              overrides=[unit_override("error_ratio", "percentunit"),
                         unit_override("p50_ms", "ms"), unit_override("p95_ms", "ms"),
                         unit_override("p99_ms", "ms")]),
    ]


def _slo(target: SloTarget) -> list[Panel]:
    slo = target.slo
    where = f" ({target.environment})" if target.environment else ""
    ratio = {"unit": "percentunit", "decimals": 3}
    return [
        row(f"slo:{slo.name}", f"SLO {slo.name}{where}: {slo.objective:g} % / {slo.window}"),
        timeseries(f"slo:{slo.name}:sli", f"SLI: {slo.name}", slo_sql.sli_series(target),
                   unit="percentunit", width=12,
                   description=slo.description or f"Good events over all events ({slo.sli.kind})."
                   " The flat line is the objective.",
                   defaults={"decimals": 3}),
        Panel(key=f"slo:{slo.name}:budget",
              title=f"Budget d'erreur restant / Error budget left ({slo.window})",
              type="stat", width=4, height=8, sql=slo_sql.budget_remaining(target), fmt="table",
              description="Share of the error budget left over the SLO's period, as of the end "
              "of the time range (negative: overspent).",
              options={"colorMode": "background", "graphMode": "none",
                       "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
              field_config={**ratio, "thresholds": {"mode": "absolute", "steps": [
                  {"color": "red", "value": None}, {"color": "orange", "value": 0},
                  {"color": "green", "value": 0.25}]}}),
        table(f"slo:{slo.name}:burn", "Taux de combustion / Burn rates", slo_sql.burn_rates(target),
              width=8, height=8,
              description="Burn rate of each alert pair's long and short windows as of the end "
              "of the time range; a pair fires when both reach the threshold.",
              overrides=[unit_override("long_burn", TIMES, decimals=2),
                         unit_override("short_burn", TIMES, decimals=2),
                         unit_override("threshold", TIMES, decimals=2),
                         {"matcher": {"id": "byName", "options": "status"}, "properties": [
                             {"id": "custom.cellOptions", "value": {"type": "color-text"}},
                             {"id": "mappings", "value": [{"type": "value", "options": {
                                 "firing": {"color": "red", "index": 0},
                                 "low_traffic": {"color": "blue", "index": 1},
                                 "disabled": {"color": "text", "index": 2},
                                 "ok": {"color": "green", "index": 3}}}]}]}]),
    ]


def _logs_and_traces(app: str) -> list[Panel]:
    return [
        row("investigate", "Journaux et traces / Logs and traces"),
        Panel(key="error_logs", title="Journaux d'erreur / Error logs", type="logs", width=12,
              height=10, sql=sql.error_logs(app), fmt="logs",
              description="Recent ERROR and FATAL records.",
              options={"dedupStrategy": "none", "enableLogDetails": True, "showTime": True,
                       "sortOrder": "Descending", "wrapLogMessage": True}),
        table("slow_traces", "Traces lentes ou en échec / Slowest and failed traces",
              sql.slow_traces(app), width=12, height=10, query_type="traces",
              description="Failed server spans first, then the slowest. Click a TraceId to open "
              "the trace.",
              overrides=[unit_override("duration_ms", "ms")]),
    ]


def incident_annotation(club: str, app: str) -> dict[str, Any]:
    """Vigie's incidents of the app as shaded regions (the plugin's annotation query form)."""
    return {
        "datasource": DATASOURCE,
        "enable": True,
        "hide": False,
        "iconColor": "red",
        "name": "Incidents",
        "target": {"editorType": "sql", "format": 1, "rawSql": sql.incident_regions(club, app),
                   "refId": "Incidents"},
    }


def app_dashboard(club: str, app: str, files: list[SloFile]) -> Built:
    """The dashboard of one app from its SLO files (one per environment at most)."""
    targets = targets_from_files(files)
    panels = _traffic(app)
    for target in targets:
        panels += _slo(target)
    panels += _logs_and_traces(app)
    variables = [
        query_variable("env", "Environnement / Environment", sql.env_values(app)),
        query_variable("route", "Route", sql.route_values(app)),
    ]
    uid = dashboard_uid(club, app)
    data = dashboard(
        uid=uid,
        title=f"{app} ({club})",
        description=f"Vigie: traffic, SLOs, error logs and traces of {app} ({club}). "
        "Generated by `vigie dashboards build`: edit slo/ and alerts/, not this file.",
        tags=["vigie", f"club:{club}"],
        panels=panels,
        variables=variables,
        annotations=[incident_annotation(club, app)],
    )
    return Built(f"{club}/{app}.json", data, tuple(panels))
