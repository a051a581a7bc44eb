"""The facts of a draft: the queries of :mod:`vigie.reports.queries`, and the few pure
derivations over their results (start of impact, ratios, budget, version changes).

Definitions (also in docs/reports.md):

* the impact — start, end, failed and total events — is :mod:`vigie.incidents.impact`'s: the
  first and last minutes out of objective, read on the per-minute rollup, not the alert's
  lifetime (which the incident's own opened/resolved times give, shown apart);
* the mean error ratio is failed / total over the impact, the peak the largest ratio of one
  minute;
* budget: the SLO window (e.g. 30 days) ending at the impact's end holds ``total_w`` events and
  so a budget of ``error_budget * total_w`` bad events; *consumed* is the impact's failed events
  in % of it, *remaining* is ``100 * (1 - bad_w / budget)``, negative when overspent;
* a deployment is a real change of ``service.version`` in the spans: a version whose first span
  comes after another version's (the first version of the look-back window was already there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from urllib.parse import urlencode

from vigie.dashboards.access import datasource_uid
from vigie.dashboards.model import DATASOURCE, DATASOURCE_UID
from vigie.incidents.impact import (
    LOOKBACK,
    ceil_minute,
    floor_minute,
    impact_of,
)
from vigie.incidents.impact import (
    MINUTE as MINUTE,  # re-exported: the web pages' charts use the same minute
)
from vigie.incidents.lines import Links
from vigie.incidents.model import Incident
from vigie.incidents.store import IncidentStore
from vigie.ingest.scrub import PiiPatterns
from vigie.reports import queries
from vigie.reports.model import (
    AppImpact,
    Facts,
    IncidentRecord,
    Related,
    SloInfo,
    TimelineEntry,
)
from vigie.reports.queries import Minute, Scope
from vigie.store import Store

BASELINE = timedelta(hours=24)
RELATED_SINCE = timedelta(days=30)
BASELINE_LINK = timedelta(hours=1)  # margin of the Grafana time range around the incident


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


def version_changes(seen: Sequence[tuple[str, datetime]]) -> list[TimelineEntry]:
    """Deployments among ``(version, first span)`` pairs: every version first seen after
    another one was (the earliest version of the window is not a change, however late its first
    span: on sparse traffic that is only the window's edge)."""
    ordered = sorted(seen, key=lambda item: (item[1], item[0]))
    return [
        TimelineEntry(first, "deploy", f"service.version {version} (← {previous})")
        for (previous, _), (version, first) in pairwise(ordered)
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


def trace_url(
    grafana_url: str, trace_id: str, start: datetime, end: datetime, club: str = ""
) -> str | None:
    """Grafana Explore on the club's ClickHouse data source (the one its captains may query;
    the admins' for a platform incident), trace view of one trace, over the incident's time
    range; None for an id that is not hex."""
    if not trace_id or not set(trace_id) <= _HEX:
        return None
    uid = datasource_uid(club) if club else DATASOURCE_UID
    query = {
        "refId": "A",
        "datasource": {**DATASOURCE, "uid": uid},
        "editorType": "sql",
        "queryType": "traces",
        "format": 3,
        "rawSql": _TRACE_SQL.format(trace_id=trace_id),
    }
    time_range = {
        "from": str(int((start - BASELINE_LINK).timestamp() * 1000)),
        "to": str(int((end + BASELINE_LINK).timestamp() * 1000)),
    }
    panes = {"a": {"datasource": uid, "queries": [query], "range": time_range}}
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
    until = record.resolved_at or now
    last = max(ceil_minute(until), opened + MINUTE)
    covered = _covered(store, record, slo, opened, last)
    if record.covered:  # the platform: its window is the alert's, its requests its apps'
        start, end = opened, last
        inside = [m for _, minutes in covered for m in minutes]
    else:
        every = queries.sli_minutes(store, scope, opened - LOOKBACK, last)
        impact = impact_of(every, record.opened_at, until, slo.error_budget)
        start, end = impact.start, impact.end
        inside = [m for m in every if start <= m.at < end]
    failed, total, peak, mean = ratios(inside)
    w_total, w_bad = queries.window_counts(store, scope, end - timedelta(days=slo.window_days), end)
    consumed, remaining = budget(failed, w_total, w_bad, slo.error_budget)
    lookback = start - BASELINE
    changes = version_changes(queries.versions_seen(store, record.app, lookback, end))
    traces = queries.example_traces(store, scope, start, end)
    related = [
        Related(i.id, i.slo, i.severity, i.opened_at, i.resolved_at)
        for i in IncidentStore(store).incidents(
            club=record.club, app=record.app, since=record.opened_at - RELATED_SINCE
        )
        if i.id != record.id
        and i.opened_at >= record.opened_at - RELATED_SINCE
        and (not record.covered or _during(i, record.covered, start, end))
    ]
    link_map = {
        "incident": links.incident(record.id),
        "report": f"{links.incident(record.id)}/report",
        "dashboard": links.dashboard(record.club, record.app),
    }
    for trace in traces:
        if (url := trace_url(links.grafana_url, trace, start, end, record.club)) is not None:
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
        covered=tuple(
            AppImpact(*key, sum(m.bad for m in minutes), sum(m.total for m in minutes))
            for key, minutes in covered
        ),
    )


def _during(
    incident: Incident, covered: Sequence[tuple[str, str, str]], start: datetime, end: datetime
) -> bool:
    """For a platform incident: an incident of an app it covers, open during its window."""
    resolved = incident.resolved_at
    return (
        incident.app_key in covered
        and incident.opened_at < end
        and (resolved is None or resolved >= start)
    )


def _covered(
    store: Store, record: IncidentRecord, slo: SloInfo, start: datetime, end: datetime
) -> list[tuple[tuple[str, str, str], list[Minute]]]:
    """Per app a platform incident covers, its minutes over ``[start, end)`` (availability)."""
    return [
        (key, queries.sli_minutes(store, Scope(key[1], key[2], slo), start, end))
        for key in record.covered
    ]
