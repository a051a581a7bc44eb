"""Every number of a draft, measured by the queries, equals the same number recomputed in
Python from the seeded rows (not from the rollup, not from SQL)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from report_seed import BAD_FROM, OPENED, RESOLVED, T0, Seeded, config, seed

from vigie.dashboards.access import datasource_uid
from vigie.incidents.impact import MINUTE, ceil_minute, impact_start, is_bad
from vigie.incidents.lines import Links
from vigie.incidents.model import Event
from vigie.incidents.service import IncidentService
from vigie.incidents.store import IncidentStore
from vigie.ingest.scrub import REGEX_FLAGS, load_patterns
from vigie.reports import queries
from vigie.reports.facts import trace_url, version_changes
from vigie.reports.queries import Minute
from vigie.reports.service import ReportService
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store


def _bad(span: dict[str, Any]) -> bool:
    return (
        span["StatusCode"] == "Error"
        or int(span["SpanAttributes"]["http.response.status_code"]) >= 500
    )


def _in(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def _quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] / 1e6


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db, leak=True)


def test_facts_equal_python_recomputation(seeded: Seeded) -> None:
    facts = ReportService(seeded.service).facts(seeded.incident_id, kind="security")
    spans, logs = seeded.spans, seeded.logs
    # The seeded failures start at BAD_FROM: its minute is the start of impact.
    first_bad = min(s["Timestamp"] for s in spans if _bad(s))
    assert facts.impact_start == first_bad.replace(second=0, microsecond=0)
    assert facts.impact_start <= BAD_FROM.replace(second=0) + timedelta(minutes=1)
    # …and the minute after the last failing minute before the resolution is its end
    last_bad = max(s["Timestamp"] for s in spans if _bad(s) and s["Timestamp"] < RESOLVED)
    start, end = facts.impact_start, last_bad.replace(second=0, microsecond=0) + MINUTE
    assert facts.impact_end == end < ceil_minute(RESOLVED)
    during = [s for s in spans if _in(s["Timestamp"], start, end)]
    assert facts.total == len(during)
    assert facts.failed == sum(_bad(s) for s in during)
    assert facts.mean_error_ratio == pytest.approx(facts.failed / facts.total)
    per_minute: dict[datetime, list[bool]] = {}
    for s in during:
        per_minute.setdefault(s["Timestamp"].replace(second=0, microsecond=0), []).append(_bad(s))
    assert facts.peak_error_ratio == pytest.approx(
        max(sum(v) / len(v) for v in per_minute.values())
    )
    # latency during vs the 24 h before
    assert facts.latency_during is not None and facts.latency_before is not None
    durations = [s["Duration"] for s in during]
    before = [
        s["Duration"] for s in spans if _in(s["Timestamp"], start - timedelta(hours=24), start)
    ]
    for got, values in ((facts.latency_during, durations), (facts.latency_before, before)):
        assert (got.p50_ms, got.p95_ms, got.p99_ms) == (
            _quantile(values, 0.5),
            _quantile(values, 0.95),
            _quantile(values, 0.99),
        )
    # budget over the 30-day window ending at the end of the incident
    window = [s for s in spans if _in(s["Timestamp"], end - timedelta(days=30), end)]
    allowed = 0.001 * len(window)
    assert facts.budget_consumed_pct == pytest.approx(100 * facts.failed / allowed)
    assert facts.budget_remaining_pct == pytest.approx(
        100 * (1 - sum(_bad(s) for s in window) / allowed)
    )
    # routes ranked by failed requests
    failed_by_route = Counter(s["SpanAttributes"]["http.route"] for s in during if _bad(s))
    total_by_route = Counter(s["SpanAttributes"]["http.route"] for s in during)
    assert [(r.route, r.failed, r.total) for r in facts.routes] == [
        (route, n, total_by_route[route]) for route, n in failed_by_route.most_common()
    ]
    # error messages and exception types (logs and span events)
    err_logs = [g for g in logs if _in(g["Timestamp"], start, end) and g["SeverityNumber"] >= 17]
    messages = Counter(g["LogAttributes"]["exception.message"] for g in err_logs)
    assert sorted((c.name, c.count) for c in facts.error_messages) == sorted(messages.items())
    types = Counter(g["LogAttributes"]["exception.type"] for g in err_logs)
    for s in during:
        for name, attrs in zip(s["Events.Name"], s["Events.Attributes"], strict=True):
            if name == "exception":
                types[attrs["exception.type"]] += 1
    assert sorted((c.name, c.count) for c in facts.exception_types) == sorted(types.items())
    # example traces: the first failing spans
    bad_sorted = sorted(
        (s for s in during if _bad(s)), key=lambda s: (s["Timestamp"], s["TraceId"])
    )
    assert list(facts.trace_ids) == [s["TraceId"] for s in bad_sorted[:3]]
    for trace_id in facts.trace_ids:
        # the Grafana link's query runs and returns that trace's spans, as the trace view wants
        url = urlsplit(facts.links[f"trace:{trace_id}"])
        assert url.netloc == "grafana.test" and url.path == "/explore"
        pane = json.loads(parse_qs(url.query)["panes"][0])["a"]
        query = pane["queries"][0]
        # the club's own data source: its captains may query it (docs/dashboards.md)
        assert (query["queryType"], query["format"], pane["datasource"]) == (
            "traces", 3, datasource_uid(facts.incident.club),
        )  # fmt: skip
        assert query["datasource"]["uid"] == pane["datasource"] != "vigie-clickhouse"
        rows = seeded.service.store.query(query["rawSql"]).dicts()
        assert [r["spanID"] for r in rows] == [
            s["SpanId"] for s in spans if s["TraceId"] == trace_id
        ]
        assert rows[0]["statusCode"] == 2
        assert {"key": "http.route", "value": "/api/cart"} in rows[0]["tags"]
    assert trace_url("https://g", "x' OR 1=1", start, end) is None
    platform = trace_url("https://g", trace_id, start, end)  # no club: the admins' source
    assert platform is not None and "vigie-clickhouse%22" in platform
    # the deployment of 1.1 is in the timeline, at its first span
    deploys = [e for e in facts.timeline if e.kind == "deploy"]
    first_11 = min(
        s["Timestamp"] for s in spans if s["ResourceAttributes"]["service.version"] == "1.1"
    )
    assert [(e.at, e.detail) for e in deploys] == [(first_11, "service.version 1.1 (← 1.0)")]
    kinds = [e.kind for e in facts.timeline]
    assert {"opened", "escalated", "acknowledged", "resolved", "notified"} <= set(kinds)
    assert [e.at for e in facts.timeline] == sorted(e.at for e in facts.timeline)
    # related: same app, 30 days, not itself, not another app
    assert [r.id for r in facts.related] == [seeded.related_id]
    # security: the PII patterns over stored values find the one leaked address
    patterns = load_patterns()
    texts = [g["Body"] for g in logs if _in(g["Timestamp"], start, end)]
    texts += [
        v for g in logs if _in(g["Timestamp"], start, end) for v in g["LogAttributes"].values()
    ]
    span_values = [
        [*s["SpanAttributes"].values(), *s["ResourceAttributes"].values()] for s in during
    ]
    assert facts.pii_matches is not None
    for rule, counted in zip(patterns.rules, facts.pii_matches, strict=True):
        regex = re.compile(
            rule.regex.removeprefix("(?i)"),
            REGEX_FLAGS | (re.I if rule.regex.startswith("(?i)") else 0),
        )
        log_rows = [g for g in logs if _in(g["Timestamp"], start, end)]
        expected = sum(
            bool(
                regex.search(g["Body"]) or any(regex.search(v) for v in g["LogAttributes"].values())
            )
            for g in log_rows
        ) + sum(any(regex.search(v) for v in values) for values in span_values)
        assert (counted.name, counted.count) == (rule.name, expected)
    assert sum(c.count for c in facts.pii_matches) >= 1
    assert texts  # the window holds logs


def test_times_and_derived_durations(seeded: Seeded) -> None:
    facts = ReportService(seeded.service).facts(seeded.incident_id)
    assert facts.incident.opened_at == OPENED and facts.incident.resolved_at == RESOLVED
    assert facts.time_to_detect == (OPENED - facts.impact_start).total_seconds()
    assert facts.time_to_acknowledge == (T0 + timedelta(minutes=2) - OPENED).total_seconds()
    # time to resolve: the outage's own length, not the alert's lifetime
    assert facts.time_to_resolve == (facts.impact_end - facts.impact_start).total_seconds()
    assert facts.alert_lifetime == (RESOLVED - OPENED).total_seconds()
    assert facts.pii_matches is None


def test_impact_start_walks_back_over_short_gaps() -> None:
    # fixed date: pure function, nothing stored
    opened = datetime(2026, 1, 1, 12, 0, tzinfo=OPENED.tzinfo)
    m = lambda k, bad: Minute(opened - timedelta(minutes=k), 100, bad)  # noqa: E731
    # bad at -0..-3, a 5-minute gap (good), bad at -9..-10, then 20 good minutes, bad at -31
    minutes = [m(k, 5) for k in (0, 1, 2, 3, 9, 10, 31)] + [m(k, 0) for k in range(4, 9)]
    assert impact_start(minutes, opened, 0.001) == opened - timedelta(minutes=10)
    assert impact_start([], opened, 0.001) == opened
    assert not is_bad(Minute(opened, 0, 0), 0.001) and is_bad(Minute(opened, 1000, 2), 0.001)
    assert not is_bad(Minute(opened, 1000, 1), 0.001)


def _sparse_spans(db: Store, versions: list[tuple[datetime, str]]) -> None:
    rows = [
        [at, f"{i:032x}", f"{i:016x}", "GET /", "Server", "quiet",
         {"service.name": "quiet", "service.version": version}, {"http.route": "/"}, 1000, "Unset"]
        for i, (at, version) in enumerate(versions)
    ]  # fmt: skip
    columns = ["Timestamp", "TraceId", "SpanId", "SpanName", "SpanKind", "ServiceName",
               "ResourceAttributes", "SpanAttributes", "Duration", "StatusCode"]  # fmt: skip
    db.insert("otel_traces", columns, rows)


def test_deployments_are_real_version_changes_on_sparse_traffic(db: Store) -> None:
    now = db.query("SELECT now()").scalar().replace(tzinfo=None)
    now = now.replace(tzinfo=OPENED.tzinfo, second=0, microsecond=0)
    start, end = now - timedelta(hours=24), now
    # A request every 3 hours, all on 1.4.2: its first span in the window is minutes after the
    # window's edge, and still no deployment (the phantom "déploiement — 1.4.2").
    _sparse_spans(db, [(start + timedelta(hours=3 * k, minutes=7), "1.4.2") for k in range(8)])
    seen = queries.versions_seen(db, "quiet", start, end)
    assert [v for v, _ in seen] == ["1.4.2"] and seen[0][1] > start + MINUTE
    assert version_changes(seen) == []
    # 1.4.3 arrives after 1.4.2 (two sparse requests): one deployment, at 1.4.3's first span.
    first = end - timedelta(minutes=50)
    _sparse_spans(db, [(first, "1.4.3"), (first + timedelta(minutes=40), "1.4.3")])
    changes = version_changes(queries.versions_seen(db, "quiet", start, end))
    assert [(c.at, c.kind, c.detail) for c in changes] == [
        (first, "deploy", "service.version 1.4.3 (← 1.4.2)")
    ]


def test_platform_report_counts_every_covered_app(db: Store) -> None:
    now = db.query("SELECT now()").scalar().replace(second=0, microsecond=0, tzinfo=OPENED.tzinfo)
    opened, resolved = now - timedelta(hours=2), now - timedelta(hours=1, minutes=30)
    apps = (("alpha", "shop"), ("alpha", "blog"), ("gamma", "wiki"), ("gamma", "late"))
    for k, (_, app) in enumerate(apps):  # 10 requests a minute, every (k + 2)-th fails
        insert_traffic(
            db, service=app, start=opened - timedelta(hours=1), duration=timedelta(hours=3),
            per_minute=10, error_every=k + 2,
        )  # fmt: skip
    covered = [[club, app, ""] for club, app in apps]
    platform = "INC-PLATFORM01"
    events = [
        Event(platform, 1, opened, opened, "opened", "", "", "", "(platform)", "page",
              "3 of 4 apps page", {"affected": covered[:3]}),
        Event(platform, 2, opened + timedelta(minutes=5), opened + timedelta(minutes=5),
              "widened", "", "", "", "(platform)", "page", "now 4", {"affected": covered}),
        Event(platform, 3, resolved, resolved, "resolved", "", "", "", "(platform)", "page",
              "calm"),
        Event("INC-COVERED01", 1, opened, opened, "opened", "gamma", "late", "", "availability",
              "page", "burn"),
        Event("INC-ELSEWHERE", 1, opened, opened, "opened", "alpha", "other", "", "availability",
              "page", "burn"),
    ]  # fmt: skip
    IncidentStore(db).append(events)
    service = IncidentService(
        db, config(), Links("https://vigie.test", "https://grafana.test"), clock=lambda: now
    )
    reports = ReportService(service)
    facts = reports.facts(platform)
    minutes = int((resolved - opened) / MINUTE)
    expected = [
        (club, app, -(-10 * minutes // (k + 2)), 10 * minutes)
        for k, (club, app) in enumerate(apps)
    ]
    assert [(c.club, c.app, c.failed, c.total) for c in facts.covered] == expected
    assert (facts.failed, facts.total) == (sum(e[2] for e in expected), 40 * minutes)
    assert facts.links["dashboard"] == "https://grafana.test/d/vigie-overview"
    assert [r.id for r in facts.related] == ["INC-COVERED01"]  # only its apps' incidents
    assert [v.incident_id for v in reports.on_incident_resolved(platform)] == [platform]
