"""Turns generated dashboards into TypeScript checked against Grafana's own types.

Grafana publishes the types of its dashboard model and of every core panel's options and field
config as the npm package ``@grafana/schema`` (pinned in ``package.json`` to the Grafana version
docker-compose runs). For each dashboard JSON this writes one ``.ts`` file in which

* the whole dashboard ``satisfies`` the schema's ``Dashboard``, with the ClickHouse plugin's
  query type for annotation targets;
* each panel's ``targets`` ``satisfies`` the plugin's query type;
* each panel's ``options`` ``satisfies`` its panel plugin's ``Options`` and its
  ``fieldConfig.defaults.custom`` the plugin's ``FieldConfig`` (``raw/composable/<type>``);
* each override property ``satisfies`` the type of the field config key it sets
  (``unit`` → ``FieldConfig['unit']``, ``custom.cellOptions`` → the plugin's
  ``FieldConfig['cellOptions']``).

``satisfies`` on an object literal rejects unknown keys and wrong value types, so a misspelt field
or a wrong type fails ``tsc``. ``Plain<T>`` replaces each string enum of the schema by the union
of its values (``${T}``): JSON cannot name an enum member, and the strings are what Grafana reads.

A panel type without a known module, or an override id without a known field, is an error here:
a new panel kind must be added to :data:`PANEL_MODULES` to be checked.

Usage: ``python emit.py <dashboards dir> <output dir>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PANEL_MODULES = {
    "gauge": "gauge/panelcfg/x/GaugePanelCfg_types.gen",
    "logs": "logs/panelcfg/x/LogsPanelCfg_types.gen",
    "stat": "stat/panelcfg/x/StatPanelCfg_types.gen",
    "table": "table/panelcfg/x/TablePanelCfg_types.gen",
    "text": "text/panelcfg/x/TextPanelCfg_types.gen",
    "timeseries": "timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
}
_COMPOSABLE = "@grafana/schema/dist/esm/raw/composable/"

PRELUDE = """\
import type {
  AnnotationQuery, Dashboard, DataQuery, FieldConfig, VariableModel,
} from '@grafana/schema';

// A string enum of the schema becomes the union of its values; the rest is kept as is.
type Plain<T> = T extends string
  ? `${T}`
  : T extends Array<infer U>
    ? Array<Plain<U>>
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T;

// The ClickHouse plugin's SQL query (grafana/clickhouse-datasource 4.20.0, src/types/sql.ts),
// which the schema leaves open (panel targets are records, annotation targets DataQuery).
interface ClickHouseQuery extends DataQuery {
  editorType: 'sql' | 'builder';
  rawSql: string;
  format?: 0 | 1 | 2 | 3 | 4;
  pluginVersion?: string;
}

// `definition` is what Grafana's query variable editor saves (QueryVariableModel.definition in
// public/app/features/variables/types.ts); the dashboard schema does not list it.
type Variable = Plain<VariableModel> & { definition?: string };

type VigieDashboard = Plain<Omit<Dashboard, 'annotations' | 'templating'>> & {
  annotations?: { list?: Array<Plain<AnnotationQuery<ClickHouseQuery>>> };
  templating?: { list?: Array<Variable> };
};
"""


def _alias(panel_type: str) -> str:
    return "panel_" + panel_type


def _literal(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _override_type(panel_type: str, prop: str) -> str:
    if prop.startswith("custom."):
        return f"Plain<NonNullable<{_alias(panel_type)}.FieldConfig[{_literal(prop[7:])}]>>"
    return f"Plain<NonNullable<FieldConfig[{_literal(prop)}]>>"


def typescript(name: str, dashboard: dict[str, Any]) -> str:
    """The TypeScript source checking one dashboard (``name`` for messages and comments)."""
    panels = [p for p in dashboard.get("panels", []) if p.get("type") != "row"]
    kinds = sorted({p["type"] for p in panels})
    unknown = [k for k in kinds if k not in PANEL_MODULES]
    if unknown:
        raise ValueError(f"{name}: no @grafana/schema module known for panel type(s) {unknown}")
    lines = [f"// Generated from {name} by tests/dashboards/typecheck/emit.py.", PRELUDE]
    lines += [f"import type * as {_alias(k)} from '{_COMPOSABLE}{PANEL_MODULES[k]}';"
              for k in kinds]
    lines.append(f"\nexport const dashboard = {_literal(dashboard)} satisfies VigieDashboard;")
    for panel in panels:
        kind, pid = panel["type"], panel["id"]
        alias = _alias(kind)
        lines.append(f"\nexport const options_{pid} = {_literal(panel.get('options', {}))}"
                     f" satisfies Plain<{alias}.Options>;")
        if panel.get("targets"):
            lines.append(f"export const targets_{pid} = {_literal(panel['targets'])}"
                         " satisfies Array<Plain<ClickHouseQuery>>;")
        custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom")
        if custom is not None:
            lines.append(f"export const custom_{pid} = {_literal(custom)}"
                         f" satisfies Plain<{alias}.FieldConfig>;")
        for i, override in enumerate(panel.get("fieldConfig", {}).get("overrides", [])):
            for j, prop in enumerate(override.get("properties", [])):
                lines.append(f"export const override_{pid}_{i}_{j} = {_literal(prop['value'])}"
                             f" satisfies {_override_type(kind, prop['id'])};")
    return "\n".join(lines) + "\n"


def emit(dashboards_dir: Path, out_dir: Path) -> list[Path]:
    """One ``.ts`` file per dashboard JSON under ``dashboards_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.ts"):
        old.unlink()
    written = []
    for path in sorted(dashboards_dir.glob("*/*.json")):
        rel = path.relative_to(dashboards_dir).as_posix()
        target = out_dir / (rel.replace("/", "__").removesuffix(".json") + ".ts")
        target.write_text(typescript(rel, json.loads(path.read_text(encoding="utf-8"))),
                          encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: emit.py <dashboards dir> <output dir>")
    files = emit(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{len(files)} dashboards written to {sys.argv[2]}")
