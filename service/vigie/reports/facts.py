"""The facts of a draft: the queries of :mod:`vigie.reports.queries`, and the few pure
derivations over their results (start of impact, ratios, budget, version changes).

Definitions (also in docs/reports.md):

* a *bad minute* has traffic and a bad-event ratio above the SLO's error budget;
* the *start of impact* is the first bad minute of the run of bad minutes that leads to the
  alert: walking back from the minute the incident opened, up to :data:`LOOKBACK`, stopping at
  :data:`QUIET_GAP` minutes in a row without a bad minute. No bad minute: the opening minute;
* the incident's window is ``[start of impact, end)``, ``end`` being the minute after the
  resolution (or after ``now`` while open); *failed* and *total* count its events; the mean error
  ratio is failed / total, the peak the largest ratio of one minute;
* budget: the SLO window (e.g. 30 days) ending at ``end`` holds ``total_w`` events and so a
  budget of ``error_budget * total_w`` bad events; *consumed* is the incident's failed events in %
  of it, *remaining* is ``100 * (1 - bad_w / budget)``, negative when overspent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from vigie.dashboards.model import DATASOURCE, DATASOURCE_UID
from vigie.incidents.lines import Links
from vigie.incidents.store import IncidentStore
from vigie.ingest.scrub import PiiPatterns
from vigie.reports import queries
from vigie.reports.model import Facts, IncidentRecord, Related, TimelineEntry
from vigie.reports.queries import Minute, Scope
from vigie.store import Store

LOOKBACK = timedelta(hours=24)
QUIET_GAP = 15  # minutes
BASELINE = timedelta(hours=24)
RELATED_SINCE = timedelta(days=30)
MINUTE = timedelta(minutes=1)
BASELINE_LINK = timedelta(hours=1)  # margin of the Grafana time range around the incident


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def ceil_minute(moment: datetime) -> datetime:
    floor = floor_minute(moment)
    return floor if floor == moment else floor + MINUTE


def is_bad(minute: Minute, error_budget: float) -> bool:
    return minute.total > 0 and minute.bad / minute.total > error_budget


def impact_start(minutes: Sequence[Minute], opened_at: datetime, error_budget: float) -> datetime:
    """See the module docstring. ``minutes``: the SLI per minute up to the opening minute."""
    opened = floor_minute(opened_at)
    bad = {m.at for m in minutes if m.at <= opened and is_bad(m, error_budget)}
    start, cursor, quiet = opened, opened, 0
    while quiet < QUIET_GAP and cursor >= opened - LOOKBACK:
        if cursor in bad:
            start, quiet = cursor, 0
        else:
            quiet += 1
        cursor -= MINUTE
    return start


def ratios(minutes: Sequence[Minute]) -> tuple[int, int, float | None, float | None]:
    """(failed, total, peak minute ratio, mean ratio) of the minutes."""
    failed = sum(m.bad for m in minutes)
    total = sum(m.total for m in minutes)
    peak = max((m.bad / m.total for m in minutes if m.total), default=None)
    return failed, total, peak, (failed / total if total else None)


def budget(
    failed: int, window_total: int, window_bad: int, error_budget: float
) -> tuple[float | None, float | None]:
    """(consumed %, remaining %) of the SLO window's error budget."""
    allowed = error_budget * window_total
    if allowed <= 0:
        return None, None
    return 100 * failed / allowed, 100 * (1 - window_bad / allowed)


def version_changes(
    seen: Sequence[tuple[str, datetime]], lookback_start: datetime
) -> list[TimelineEntry]:
    """A version whose first span comes after the lookback's first minute was deployed then."""
    return [
        TimelineEntry(first, "deploy", f"service.version {version}")
        for version, first in seen
        if first >= lookback_start + MINUTE
    ]


# The query the ClickHouse plugin builds in trace-ID mode for OTel tables (its column aliases are
# what Grafana's trace view reads); the id is checked to be hex before it is put in.
_TRACE_SQL = (
    "SELECT TraceId AS traceID, SpanId AS spanID, ParentSpanId AS parentSpanID, "
    "ServiceName AS serviceName, SpanName AS operationName, "
    "multiply(toUnixTimestamp64Nano(Timestamp), 0.000001) AS startTime, "
    "multiply(Duration, 0.000001) AS duration, "
    "arrayMap(key -> map('key', key, 'value', SpanAttributes[key]), mapKeys(SpanAttributes)) "
    "AS tags, arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]), "
    "mapKeys(ResourceAttributes)) AS serviceTags, "
    "if(StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) AS statusCode "
    "FROM otel_traces WHERE traceID = '{trace_id}'"
)
_HEX = frozenset("0123456789abcdefABCDEF")


def trace_url(grafana_url: str, trace_id: str, start: datetime, end: datetime) -> str | None:
    """Grafana Explore on the ClickHouse data source, trace view of one trace, over the
    incident's time range; None for an id that is not hex."""
    if not trace_id or not set(trace_id) <= _HEX:
        return None
    query = {
        "refId": "A",
        "datasource": DATASOURCE,
        "editorType": "sql",
        "queryType": "traces",
        "format": 3,
        "rawSql": _TRACE_SQL.format(trace_id=trace_id),
    }
    time_range = {
        "from": str(int((start - BASELINE_LINK).timestamp() * 1000)),
        "to": str(int((end + BASELINE_LINK).timestamp() * 1000)),
    }
    panes = {"a": {"datasource": DATASOURCE_UID, "queries": [query], "range": time_range}}
    params = {"schemaVersion": "1", "panes": json.dumps(panes, separators=(",", ":"))}
    return f"{grafana_url.rstrip('/')}/explore?{urlencode(params)}"


def gather(
    store: Store,
    record: IncidentRecord,
    now: datetime,
    links: Links,
    *,
    pii: PiiPatterns | None = None,
) -> Facts:
    """Measure every fact of ``record``'s draft; ``pii`` set: also scan for personal data."""
    slo = record.slos[0]
    scope = Scope(record.app, record.environment, slo)
    opened = floor_minute(record.opened_at)
    before = queries.sli_minutes(store, scope, opened - LOOKBACK, opened + MINUTE)
    start = impact_start(before, record.opened_at, slo.error_budget)
    end = ceil_minute(record.resolved_at or now)
    if end <= start:
        end = start + MINUTE
    minutes = queries.sli_minutes(store, scope, start, end)
    failed, total, peak, mean = ratios(minutes)
    w_total, w_bad = queries.window_counts(store, scope, end - timedelta(days=slo.window_days), end)
    consumed, remaining = budget(failed, w_total, w_bad, slo.error_budget)
    lookback = start - BASELINE
    changes = version_changes(queries.versions_seen(store, record.app, lookback, end), lookback)
    traces = queries.example_traces(store, scope, start, end)
    related = [
        Related(i.id, i.slo, i.severity, i.opened_at, i.resolved_at)
        for i in IncidentStore(store).incidents(
            club=record.club, app=record.app, since=record.opened_at - RELATED_SINCE
        )
        if i.id != record.id and i.opened_at >= record.opened_at - RELATED_SINCE
    ]
    link_map = {
        "incident": links.incident(record.id),
        "report": f"{links.incident(record.id)}/report",
        "dashboard": links.dashboard(record.club, record.app),
    }
    for trace in traces:
        if (url := trace_url(links.grafana_url, trace, start, end)) is not None:
            link_map[f"trace:{trace}"] = url
    return Facts(
        incident=record,
        impact_start=start,
        impact_end=end,
        failed=failed,
        total=total,
        peak_error_ratio=peak,
        mean_error_ratio=mean,
        latency_during=queries.latency(store, scope, start, end),
        latency_before=queries.latency(store, scope, start - BASELINE, start),
        budget_consumed_pct=consumed,
        budget_remaining_pct=remaining,
        routes=tuple(queries.routes_by_failures(store, scope, start, end)),
        error_messages=tuple(queries.error_messages(store, record.app, start, end)),
        exception_types=tuple(queries.exception_types(store, record.app, start, end)),
        trace_ids=tuple(traces),
        timeline=tuple(sorted([*record.timeline, *changes], key=lambda e: e.at)),
        related=tuple(sorted(related, key=lambda r: r.opened_at, reverse=True)),
        pii_matches=(
            None if pii is None else tuple(queries.pii_matches(store, record.app, start, end, pii))
        ),
        links=link_map,
    )
