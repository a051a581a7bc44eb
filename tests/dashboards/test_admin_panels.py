"""The overview and pipeline queries, expanded like Grafana does and run on the real engine."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from tests.dashboards.conftest import OUTBOX, Seeded
from tests.dashboards.macros import TimeRange
from tests.dashboards.spans import bucket, in_range, read_spans, run

from vigie.dashboards.app import Built, dashboard_uid
from vigie.dashboards.build import dashboards
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.store import tables

PROVES = ("slo_states", "burn_rates", "spans_ingested", "logs_ingested", "ingest_freshness",
          "silent_apps", "evaluation_timing", "write_duration", "notifications_over_time",
          "notifications_by_channel")



def _sql(seeded: Seeded, path: str, key: str) -> str:
    built: Built = next(b for b in dashboards(seeded.config) if b.path == path)
    sql = next(p.sql for p in built.panels if p.key == key)
    assert sql is not None
    return sql


def test_overview_states_equal_the_engine(seeded: Seeded) -> None:
    targets = targets_from_files(seeded.config.slo_files)
    statuses = evaluate(seeded.store, targets, seeded.end).statuses
    rows = run(seeded.store, _sql(seeded, "admin/overview.json", "slo_states"), seeded.time, {})
    got = {(r["club"], r["app"], r["slo"]): r for r in rows}
    assert len(rows) == len(statuses) == len(got)
    for status in statuses:
        t, d = status.target, status.decision
        row = got[(t.club, t.app, t.name)]
        assert row["state"] == d.state, (t.key, d.reason)
        if d.budget_remaining is None:
            assert row["budget_remaining"] is None
        else:
            assert row["budget_remaining"] == pytest.approx(d.budget_remaining, rel=1e-12)
        burns = [b for b in d.burn_rates.values() if b is not None]
        assert row["worst_burn"] == pytest.approx(max(burns, default=0.0), rel=1e-12)
        assert row["uid"] == dashboard_uid(t.club, t.app)
    # Worst first: pages before no data before low traffic before tickets before ok.
    order = ["page", "no_data", "low_traffic", "ticket", "ok"]
    ranks = [order.index(r["state"]) for r in rows]
    assert ranks == sorted(ranks)
    assert {"page", "no_data", "low_traffic", "ticket", "ok"} <= {r["state"] for r in rows}


def test_overview_state_follows_the_end_of_the_range(seeded: Seeded) -> None:
    """Before the outage, site-web's availability was fine; hours after the last span, every
    SLO reports no data (the engine's staleness rule)."""
    sql = _sql(seeded, "admin/overview.json", "slo_states")
    targets = targets_from_files(seeded.config.slo_files)
    for at in (seeded.end - timedelta(minutes=45), seeded.end + timedelta(hours=2)):
        statuses = evaluate(seeded.store, targets, at).statuses
        last_hour = TimeRange(at - timedelta(hours=1), at, seeded.time.interval)
        rows = run(seeded.store, sql, last_hour, {})
        got = {(r["club"], r["app"], r["slo"]): r["state"] for r in rows}
        assert got == {(s.target.club, s.target.app, s.target.name): s.decision.state
                       for s in statuses}
    assert set(got.values()) == {"no_data"}


def test_ingestion_rates(seeded: Seeded) -> None:
    spans = read_spans(seeded.store)
    step = max(seeded.time.interval_s, 60)
    expected = Counter((bucket(int(s.seconds) // 60 * 60, step), s.service) for s in spans
                       if in_range(int(s.seconds) // 60 * 60, seeded.time))
    rows = run(seeded.store, _sql(seeded, "admin/pipeline.json", "spans_ingested"), seeded.time, {})
    assert {(r["time"], r["service"]): r["spans_per_s"] for r in rows} == pytest.approx(
        {key: count / step for key, count in expected.items()})
    logs = seeded.store.query(
        f"SELECT toUnixTimestamp64Nano(Timestamp), ServiceName FROM {tables.LOGS}").rows
    log_counts = Counter((bucket(ns / 1e9, seeded.time.interval_s), service) for ns, service in logs
                         if in_range(ns / 1e9, seeded.time))
    rows = run(seeded.store, _sql(seeded, "admin/pipeline.json", "logs_ingested"), seeded.time, {})
    assert log_counts
    assert {(r["time"], r["service"]): r["records_per_s"] for r in rows} == pytest.approx(
        {key: count / seeded.time.interval_s for key, count in log_counts.items()})


def test_freshness_per_service(seeded: Seeded) -> None:
    spans = read_spans(seeded.store)
    newest: dict[str, int] = {}
    for s in spans:
        if in_range(s.seconds, seeded.time):
            newest[s.service] = max(newest.get(s.service, 0), s.ns)
    sql = _sql(seeded, "admin/pipeline.json", "ingest_freshness")
    rows = run(seeded.store, sql, seeded.time, {})
    assert {r["service"] for r in rows} == set(newest)
    for r in rows:
        last = datetime.fromtimestamp(newest[r["service"]] // 10**9, UTC)
        assert r["last_span"].replace(microsecond=0) == last.replace(tzinfo=None)
        assert r["lag_s"] == int(seeded.end.timestamp()) - int(last.timestamp())


def test_apps_without_telemetry(seeded: Seeded) -> None:
    sql = _sql(seeded, "admin/pipeline.json", "silent_apps")
    rows = run(seeded.store, sql, seeded.time, {})
    assert [(r["club"], r["app"], r["last_seen"]) for r in rows] == [("sonia", "portail", None)]
    # Over the first two hours, wiki (seeded in the last 50 minutes) had not spoken yet.
    early = TimeRange(seeded.start, seeded.end - timedelta(hours=1), seeded.time.interval)
    rows = run(seeded.store, sql, early, {})
    assert [(r["app"], r["last_seen"]) for r in rows] == [("wiki", None), ("portail", None)]
    # Later on, wiki is silent but was seen: its last minute is shown.
    late = TimeRange(seeded.minutes(5), seeded.minutes(60), seeded.time.interval)
    rows = {r["app"]: r["last_seen"] for r in run(seeded.store, sql, late, {})}
    wiki = max(s.ns for s in read_spans(seeded.store) if s.service == "wiki") // 10**9
    assert rows["wiki"] == bucket(wiki, 60)
    assert rows["portail"] is None


@pytest.mark.parametrize(("key", "names"), [
    ("evaluation_timing", ("vigie.slo.cycle.duration", "vigie.slo.cycle.lag")),
    ("write_duration", ("vigie.ingest.write_duration",)),
])
def test_self_metric_means(seeded: Seeded, key: str, names: tuple[str, ...]) -> None:
    """Each export minus the previous one of its series: mean per export interval."""
    time = TimeRange(seeded.end - timedelta(hours=1), seeded.end, timedelta(minutes=1))
    rows = run(seeded.store, _sql(seeded, "admin/pipeline.json", key), time, {})
    expected = {}
    for name in names:
        exports = seeded.cycle_exports[name]
        for (_, count0, sum0), (at, count, total) in itertools.pairwise(exports):
            expected[(at.replace(tzinfo=None), name)] = (total - sum0) / (count - count0)
    assert {(r["time"], r["metric"]): r["mean_s"] for r in rows} == pytest.approx(expected)


def test_open_incidents_per_app(seeded: Seeded) -> None:
    rows = run(seeded.store, _sql(seeded, "admin/overview.json", "slo_states"), seeded.time, {})
    status: dict[str, str] = {}
    for event in sorted(seeded.incidents, key=lambda e: e.seq):
        if event.at <= seeded.end and event.kind in ("opened", "reopened", "resolved"):
            status[event.incident_id] = event.kind
    apps = {e.incident_id: (e.club, e.app) for e in seeded.incidents}
    expected = Counter(apps[i] for i, kind in status.items() if kind != "resolved")
    assert expected == {("algoets", "site-web"): 1, ("cedille", "forge"): 1,
                        ("cedille", "wiki"): 1}
    for r in rows:
        assert r["open_incidents"] == expected.get((r["club"], r["app"]), 0), r


def test_notifications_per_channel(seeded: Seeded) -> None:
    time = TimeRange(seeded.end - timedelta(hours=2), seeded.end, timedelta(minutes=1))
    in_range = [(c, e, seeded.end - timedelta(minutes=m)) for c, e, m in OUTBOX if m <= 120]
    rows = run(seeded.store, _sql(seeded, "admin/pipeline.json", "notifications_by_channel"),
               time, {})
    expected = {}
    for channel in sorted({c for c, _, _ in in_range}):
        events = Counter(e for c, e, _ in in_range if c == channel)
        expected[channel] = {e: events[e] for e in ("sent", "failed", "retried", "dead")}
    assert {r.pop("channel"): r for r in rows} == expected
    assert expected["algoets"] == {"sent": 3, "failed": 1, "retried": 2, "dead": 0}
    rows = run(seeded.store, _sql(seeded, "admin/pipeline.json", "notifications_over_time"),
               time, {})
    per_minute = Counter((at.replace(tzinfo=None), f"{c} {e}") for c, e, at in in_range
                         if e != "pending")
    assert {(r["time"], r["outcome"]): r["notices"] for r in rows} == per_minute
