"""Grafana dashboard JSON as plain dictionaries: panels, targets, variables, layout.

Follows Grafana's classic dashboard model at ``schemaVersion`` 42 (the latest of Grafana 12.4,
the version docker-compose runs: migration v42 landed in grafana/grafana#110517), and the
ClickHouse plugin's query model (``grafana/clickhouse-datasource`` 4.20.0, ``src/types/sql.ts``:
``editorType``, ``rawSql``, ``format`` 0 time series / 1 table / 2 logs / 3 traces,
``queryType``, ``pluginVersion``; datasource by uid). Every panel carries a ``key`` (not written
to the JSON) naming what it shows, so tests find the proof of each shipped query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 42
PLUGIN_ID = "grafana-clickhouse-datasource"
PLUGIN_VERSION = "4.20.0"
DATASOURCE_UID = "vigie-clickhouse"
DATASOURCE: dict[str, str] = {"type": PLUGIN_ID, "uid": DATASOURCE_UID}

Format = Literal["timeseries", "table", "logs"]
_FORMATS: dict[str, int] = {"timeseries": 0, "table": 1, "logs": 2}

GRID_WIDTH = 24
TIMES = "suffix:\u00d7"
"""Grafana's custom unit syntax: burn rates read ``14.4`` followed by a multiplication sign."""


def target(sql: str, fmt: Format, *, query_type: str | None = None) -> dict[str, Any]:
    """One SQL-editor query of the plugin."""
    return {
        "datasource": DATASOURCE,
        "editorType": "sql",
        "format": _FORMATS[fmt],
        "pluginVersion": PLUGIN_VERSION,
        "queryType": query_type or fmt,
        "rawSql": sql,
        "refId": "A",
    }


@dataclass
class Panel:
    """A panel before layout: its kind of visualization, size, query and options."""

    key: str
    title: str
    type: str
    width: int
    height: int
    sql: str | None = None
    fmt: Format = "table"
    query_type: str | None = None
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    field_config: dict[str, Any] = field(default_factory=dict)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    time_from: str | None = None
    """A panel's own relative range (``30d``), whatever the dashboard's range."""

    def json(self, panel_id: int, x: int, y: int) -> dict[str, Any]:
        position = {"h": self.height, "w": self.width, "x": x, "y": y}
        if self.type == "row":
            return {"collapsed": False, "gridPos": position, "id": panel_id, "panels": [],
                    "title": self.title, "type": "row"}
        out: dict[str, Any] = {
            "description": self.description,
            "fieldConfig": {"defaults": self.field_config, "overrides": self.overrides},
            "gridPos": position,
            "id": panel_id,
            "options": self.options,
            "title": self.title,
            "type": self.type,
        }
        if self.links:
            out["links"] = self.links
        if self.time_from:
            out["timeFrom"] = self.time_from
        if self.sql is not None:
            out["datasource"] = DATASOURCE
            out["targets"] = [target(self.sql, self.fmt, query_type=self.query_type)]
        return out


def row(key: str, title: str) -> Panel:
    return Panel(key=key, title=title, type="row", width=GRID_WIDTH, height=1)


def timeseries(
    key: str, title: str, sql: str, *, unit: str, width: int = 8, **extra: Any
) -> Panel:
    defaults = {"custom": {"fillOpacity": 10, "showPoints": "never"}, "unit": unit}
    return Panel(
        key=key,
        title=title,
        type="timeseries",
        width=width,
        height=8,
        sql=sql,
        fmt="timeseries",
        options={"legend": {"calcs": [], "displayMode": "list", "placement": "bottom",
                            "showLegend": True},
                 "tooltip": {"mode": "multi", "sort": "desc"}},
        field_config={**defaults, **extra.pop("defaults", {})},
        **extra,
    )


def table(
    key: str, title: str, sql: str, *, width: int = 24, height: int = 8, **extra: Any
) -> Panel:
    return Panel(
        key=key,
        title=title,
        type="table",
        width=width,
        height=height,
        sql=sql,
        fmt="table",
        options={"cellHeight": "sm", "frameIndex": 0, "showHeader": True,
                 **extra.pop("options", {})},
        **extra,
    )


_REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def stat(key: str, title: str, sql: str, *, width: int = 4, height: int = 6,
         column: str | None = None, **extra: Any) -> Panel:
    """One value (the last non-null one), its background coloured by the thresholds or value
    mappings. The stat panel shows numeric fields only unless told which ``column`` to show
    (a text column such as a state).

    Options are complete (every field the stat panel's schema requires, at its default)."""
    options = {"colorMode": "background", "graphMode": "none", "justifyMode": "auto",
               "orientation": "auto", "percentChangeColorMode": "standard",
               "reduceOptions": {**_REDUCE_LAST, "fields": f"/^{column}$/" if column else ""},
               "showPercentChange": False, "textMode": "auto", "wideLayout": True}
    return Panel(key=key, title=title, type="stat", width=width, height=height, sql=sql,
                 fmt="table", options=options, **extra)


def gauge(key: str, title: str, sql: str, *, width: int = 4, height: int = 6,
          **extra: Any) -> Panel:
    """A gauge of the last non-null value, with threshold markers (schema defaults otherwise)."""
    options = {"barShape": "flat", "barWidthFactor": 0.5, "effects": {}, "minVizHeight": 75,
               "minVizWidth": 75, "orientation": "auto", "reduceOptions": _REDUCE_LAST,
               "segmentCount": 1, "segmentSpacing": 0.3, "shape": "gauge",
               "showThresholdLabels": False, "showThresholdMarkers": True, "sizing": "auto"}
    return Panel(key=key, title=title, type="gauge", width=width, height=height, sql=sql,
                 fmt="table", options=options, **extra)


def unit_override(name: str, unit: str, **more: Any) -> dict[str, Any]:
    properties: list[dict[str, Any]] = [{"id": "unit", "value": unit}]
    properties += [{"id": key.replace("_", "."), "value": value} for key, value in more.items()]
    return {"matcher": {"id": "byName", "options": name}, "properties": properties}


def layout(panels: list[Panel], first_id: int = 1) -> list[dict[str, Any]]:
    """Panels placed left to right, wrapping at the grid width; a row starts a new line.

    Ids are numbered in order: the same panels always get the same ids and positions.
    """
    out: list[dict[str, Any]] = []
    x = y = line_height = 0
    for offset, panel in enumerate(panels):
        if panel.type == "row" or x + panel.width > GRID_WIDTH:
            x, y, line_height = 0, y + line_height, 0
        out.append(panel.json(first_id + offset, x, y))
        x += panel.width
        line_height = max(line_height, panel.height)
        if panel.type == "row":
            x, y, line_height = 0, y + panel.height, 0
    return out


def query_variable(
    name: str, label: str, sql: str, *, multi: bool = True, include_all: bool = True
) -> dict[str, Any]:
    """A query variable refreshed on time range change; All selected by default."""
    current: dict[str, Any] = (
        {"text": ["All"], "value": ["$__all"]} if include_all else {"text": "", "value": ""}
    )
    return {
        "current": current,
        "datasource": DATASOURCE,
        "definition": sql,
        "includeAll": include_all,
        "label": label,
        "multi": multi,
        "name": name,
        "options": [],
        "query": {"editorType": "sql", "format": 1, "rawSql": sql, "refId": "VariableQuery"},
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "type": "query",
    }


def dashboard(
    *,
    uid: str,
    title: str,
    description: str,
    tags: list[str],
    panels: list[Panel],
    variables: list[dict[str, Any]] | None = None,
    annotations: list[dict[str, Any]] | None = None,
    links: list[dict[str, Any]] | None = None,
    time_from: str = "now-6h",
    timezone: str = "browser",
    builtin_name: str = "Annotations & Alerts",
) -> dict[str, Any]:
    builtin = {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": builtin_name,
        "type": "dashboard",
    }
    return {
        "annotations": {"list": [builtin, *(annotations or [])]},
        "description": description,
        "editable": False,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": links or [],
        "panels": layout(panels),
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": tags,
        "templating": {"list": variables or []},
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": timezone,
        "title": title,
        "uid": uid,
        "version": 1,
    }


def with_datasource(data: Any, ref: dict[str, str]) -> Any:
    """``data`` with every reference to :data:`DATASOURCE` replaced by ``ref``."""
    if data == DATASOURCE:
        return dict(ref)
    if isinstance(data, dict):
        return {key: with_datasource(value, ref) for key, value in data.items()}
    if isinstance(data, list):
        return [with_datasource(item, ref) for item in data]
    return data
