"""The SQL of the captain's panels beyond request traffic: deployments, usage over 30 days and
the Kubernetes resources of the app's pods.

Written with the ClickHouse plugin's macros like :mod:`vigie.dashboards.sql` (whose variable
filters and :func:`~vigie.dashboards.sql.literal` they share).

* **Deployments** come from ``service.version``, the resource attribute every OTel SDK sends:
  a version's first span marks its arrival, and an annotation is drawn only for a real change,
  when a version appears after another one was already running (both versions present, the new
  one first seen after the old one, in the same environment).
* **Usage** reads the SLO rollup (``vigie_slo_minute``), which keeps at least 90 days while raw
  spans keep 7: requests per day and route over the last 30 days, days in the club's time zone.
* **Resources** read the metrics of the collector's Kubernetes receivers: ``kubeletstats``
  (``k8s.pod.cpu.usage`` in cores, ``k8s.pod.memory.working_set`` in bytes, resource
  attributes ``k8s.pod.name``, ``k8s.namespace.name``) and ``k8s_cluster``
  (``k8s.container.restarts``, the container's restart count). Those metrics carry no
  ``service.name``: a pod belongs to the app when the ``k8s_attributes`` processor named its
  Deployment after the app (``k8s.deployment.name``, the platform's convention), or when the app
  itself sends them with its service name.
"""

from __future__ import annotations

from vigie.dashboards.sql import ENV_FILTER, ROUTE_FILTER, literal
from vigie.slo.spans import ENVIRONMENT
from vigie.store import tables
from vigie.store.migrations.m0010_slo_rollups import ROLLUP

VERSION = "ResourceAttributes['service.version']"
# The exporter's spans are kept 7 days: older versions cannot be known anyway.
_VERSION_LOOKBACK_DAYS = 7

CPU_METRIC = "k8s.pod.cpu.usage"
MEMORY_METRIC = "k8s.pod.memory.working_set"
RESTARTS_METRIC = "k8s.container.restarts"
POD = "ResourceAttributes['k8s.pod.name']"


def deployments(app: str, label: str) -> str:
    """Annotation events: each version of the app that appeared after another one, per
    environment. ``label`` is the localized text with ``{env}``, ``{old}``, ``{new}``."""
    text = "concat(" + ", ".join(_split(label)) + ")"
    return (
        f"SELECT first_seen AS time, {text} AS text, 'deployment' AS tags\n"
        "FROM (\n"
        "    SELECT env, version AS new, first_seen,\n"
        "           lagInFrame(version) OVER w AS old\n"
        "    FROM (\n"
        f"        SELECT {ENVIRONMENT} AS env, {VERSION} AS version, min(Timestamp) AS first_seen\n"
        f"        FROM {tables.TRACES}\n"
        f"        WHERE ServiceName = {literal(app)} AND {VERSION} != ''\n"
        f"          AND Timestamp >= $__fromTime - toIntervalDay({_VERSION_LOOKBACK_DAYS})"
        " AND Timestamp <= $__toTime\n"
        f"          AND {ENV_FILTER.format(env=ENVIRONMENT)}\n"
        "        GROUP BY env, version\n"
        "    )\n"
        "    WINDOW w AS (PARTITION BY env ORDER BY first_seen, version\n"
        "                 ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)\n"
        ")\n"
        "WHERE old != '' AND first_seen >= $__fromTime\n"
        "ORDER BY time"
    )


def _split(label: str) -> list[str]:
    """``label``'s text and ``{env}``/``{old}``/``{new}`` fields as SQL concat arguments."""
    parts: list[str] = []
    rest = label
    while rest:
        at = min((rest.find(f"{{{f}}}") for f in ("env", "old", "new")
                  if f"{{{f}}}" in rest), default=-1)
        if at < 0:
            parts.append(literal(rest))
            break
        if at:
            parts.append(literal(rest[:at]))
        end = rest.index("}", at)
        parts.append(rest[at + 1:end])
        rest = rest[end + 1:]
    return parts


def requests_per_day(app: str, timezone: str) -> str:
    """Requests per day (in ``timezone``) and route over the last 30 days, from the rollup;
    the panel's own time range (``timeFrom: 30d``) sets the filter."""
    return (
        f"SELECT toStartOfDay(Minute, {literal(timezone)}) AS time, Route AS route,\n"
        "       sum(Total) AS requests\n"
        f"FROM {ROLLUP}\n"
        f"WHERE ServiceName = {literal(app)} AND $__timeFilter(Minute)\n"
        f"  AND {ENV_FILTER.format(env='Environment')}\n"
        f"  AND {ROUTE_FILTER.format(route='Route')}\n"
        "GROUP BY time, route\nORDER BY time, route"
    )


def _pods_of(app: str) -> str:
    return (
        f"(ServiceName = {literal(app)}"
        f" OR ResourceAttributes['k8s.deployment.name'] = {literal(app)})"
    )


def pod_gauge(app: str, metric: str) -> str:
    """Mean value of a pod-level gauge per time bucket and pod (CPU cores, memory bytes)."""
    return (
        f"SELECT $__timeInterval(TimeUnix) AS time, {POD} AS pod, avg(Value) AS value\n"
        f"FROM {tables.METRICS_GAUGE}\n"
        f"WHERE $__timeFilter(TimeUnix) AND MetricName = {literal(metric)}"
        f" AND {_pods_of(app)}\n"
        "GROUP BY time, pod\nORDER BY time, pod"
    )


def restarts(app: str) -> str:
    """Container restarts during the range: per container (pod, container name), the growth of
    its restart count from its first to its last point in the range."""
    return (
        "SELECT toInt64(sum(grown)) AS restarts\n"
        "FROM (\n"
        "    SELECT argMax(Value, TimeUnix) - argMin(Value, TimeUnix) AS grown\n"
        f"    FROM {tables.METRICS_GAUGE}\n"
        f"    WHERE $__timeFilter(TimeUnix) AND MetricName = {literal(RESTARTS_METRIC)}"
        f" AND {_pods_of(app)}\n"
        f"    GROUP BY {POD}, ResourceAttributes['k8s.container.name']\n"
        ")"
    )
