"""Every query of the app dashboards, expanded like Grafana does and run on the real engine.

Traffic, log and trace panels are checked against values computed in Python from the seeded
spans and logs; SLO panels against the SLO engine itself (:func:`vigie.slo.evaluator.evaluate`
and :func:`vigie.slo.series.sli_series` at the same instant), for every SLO of the sample config.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from tests.dashboards.conftest import Seeded
from tests.dashboards.macros import TimeRange, Variable
from tests.dashboards.spans import (
    Span,
    bucket,
    in_range,
    quantile,
    read_spans,
    run,
    selected,
)

from vigie.config.slo import CustomSli, Slo, SloFile
from vigie.dashboards.app import Built, app_dashboard
from vigie.dashboards.build import dashboards
from vigie.dashboards.slo_sql import burn_rate_table
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.slo.series import sli_series
from vigie.store import tables

PROVES = ("request_rate", "error_ratio", "latency", "routes", "error_logs", "slow_traces",
          "slo:*:sli", "slo:*:budget", "slo:*:compliance", "state", "var:env", "var:route",
          "annotation:Incidents")

STEP = 300  # the 5-minute steps of Seeded.time
ENVS = ("prod", "staging")
ROUTES = ("/", "/events/{id}", "/login", "/static/{path}")


def _vars(env: tuple[str, ...] | None, routes: tuple[str, ...] | None) -> dict[str, Variable]:
    return {
        "env": Variable(ENVS) if env is None else Variable(ENVS, env),
        "route": Variable(ROUTES) if routes is None else Variable(ROUTES, routes),
    }


# All, then one environment and two routes, then a single route.
STATES = [_vars(None, None), _vars(("prod",), ("/", "/login")), _vars(("prod",), ("/",))]


def _built(seeded: Seeded, path: str) -> Built:
    return next(b for b in dashboards(seeded.config) if b.path == path)


def _sql(built: Built, key: str) -> str:
    sql = next(p.sql for p in built.panels if p.key == key)
    assert sql is not None
    return sql


@pytest.fixture(scope="module")
def spans(seeded: Seeded) -> list[Span]:
    return read_spans(seeded.store)


@pytest.fixture(scope="module")
def site(seeded: Seeded) -> Built:
    return _built(seeded, "algoets/site-web.json")


def _traffic(seeded: Seeded, spans: list[Span], variables: dict[str, Variable]) -> list[Span]:
    envs, routes = selected(variables["env"]), selected(variables["route"])
    return [s for s in spans if s.service == "site-web" and s.server
            and in_range(s.seconds, seeded.time) and s.environment in envs and s.route in routes]


@pytest.mark.parametrize("variables", STATES)
def test_request_rate_and_error_ratio_by_route(seeded: Seeded, site: Built, spans: list[Span],
                                               variables: dict[str, Variable]) -> None:
    groups: dict[tuple[Any, str], list[Span]] = defaultdict(list)
    for s in _traffic(seeded, spans, variables):
        groups[(bucket(s.seconds, STEP), s.route)].append(s)
    assert groups
    rates = run(seeded.store, _sql(site, "request_rate"), seeded.time, variables)
    assert {(r["time"], r["route"]): r["requests_per_s"] for r in rates} == pytest.approx(
        {key: len(group) / STEP for key, group in groups.items()})
    ratios = run(seeded.store, _sql(site, "error_ratio"), seeded.time, variables)
    expected = {key: sum(s.failed for s in group) / len(group) for key, group in groups.items()}
    assert {(r["time"], r["route"]): r["error_ratio"] for r in ratios} == pytest.approx(expected)
    assert any(value > 0 for value in expected.values())  # the outage shows


@pytest.mark.parametrize("variables", STATES)
def test_latency_percentiles(seeded: Seeded, site: Built, spans: list[Span],
                             variables: dict[str, Variable]) -> None:
    groups: dict[Any, list[float]] = defaultdict(list)
    for s in _traffic(seeded, spans, variables):
        groups[bucket(s.seconds, STEP)].append(s.duration / 1e6)
    rows = run(seeded.store, _sql(site, "latency"), seeded.time, variables)
    assert [r["time"] for r in rows] == sorted(groups)
    for r in rows:
        values = groups[r["time"]]
        assert (r["p50_ms"], r["p95_ms"], r["p99_ms"]) == pytest.approx(
            (quantile(values, 0.5), quantile(values, 0.95), quantile(values, 0.99)), rel=1e-9)


@pytest.mark.parametrize("variables", STATES)
def test_routes_table(seeded: Seeded, site: Built, spans: list[Span],
                      variables: dict[str, Variable]) -> None:
    groups: dict[str, list[Span]] = defaultdict(list)
    for s in _traffic(seeded, spans, variables):
        groups[s.route].append(s)
    rows = run(seeded.store, _sql(site, "routes"), seeded.time, variables)
    assert [r["requests"] for r in rows] == sorted((len(g) for g in groups.values()), reverse=True)
    for r in rows:
        group = groups[r["route"]]
        durations = [s.duration / 1e6 for s in group]
        assert r["requests"] == len(group)
        assert r["error_ratio"] == pytest.approx(sum(s.failed for s in group) / len(group))
        assert r["p95_ms"] == pytest.approx(quantile(durations, 0.95), rel=1e-9)
        assert r["p50_ms"] == pytest.approx(quantile(durations, 0.5), rel=1e-9)
        assert r["p99_ms"] == pytest.approx(quantile(durations, 0.99), rel=1e-9)


def test_variables(seeded: Seeded, site: Built, spans: list[Span]) -> None:
    variable_sql = {v["name"]: v["query"]["rawSql"] for v in site.json["templating"]["list"]}
    envs = run(seeded.store, variable_sql["env"], seeded.time, _vars(None, None))
    assert [r["Environment"] for r in envs] == list(ENVS)
    prod = run(seeded.store, variable_sql["route"], seeded.time, _vars(("prod",), None))
    expected = {s.route for s in spans if s.service == "site-web" and s.server
                and s.environment == "prod"}
    assert [r["Route"] for r in prod] == sorted(expected)
    staging = run(seeded.store, variable_sql["route"], seeded.time, _vars(("staging",), None))
    assert [r["Route"] for r in staging] == ["/"]


@pytest.mark.parametrize("variables", STATES)
def test_error_logs(seeded: Seeded, site: Built, spans: list[Span],
                    variables: dict[str, Variable]) -> None:
    routes = selected(variables["route"])
    route_of_trace = {s.trace_id: s.route for s in spans if s.server and s.service == "site-web"}
    logs = seeded.store.query(
        f"SELECT TraceId, SpanId, Body, toUnixTimestamp64Nano(Timestamp) FROM {tables.LOGS}"
        " WHERE ServiceName = 'site-web' AND SeverityNumber >= 17").rows
    expected = sorted(((ns, trace, span) for trace, span, _, ns in logs
                       if in_range(ns / 1e9, seeded.time) and route_of_trace.get(trace) in routes),
                      reverse=True)[:200]
    rows = run(seeded.store, _sql(site, "error_logs"), seeded.time, variables)
    assert expected
    assert [(r["TraceId"], r["SpanId"]) for r in rows] == [(t, s) for _, t, s in expected]
    assert {r["level"] for r in rows} <= {"ERROR", "FATAL"}


@pytest.mark.parametrize("variables", STATES)
def test_slow_and_failed_traces(seeded: Seeded, site: Built, spans: list[Span],
                                variables: dict[str, Variable]) -> None:
    chosen = sorted(_traffic(seeded, spans, variables), key=lambda s: (s.failed, s.duration, s.ns),
                    reverse=True)[:50]
    rows = run(seeded.store, _sql(site, "slow_traces"), seeded.time, variables)
    assert [r["TraceId"] for r in rows] == [s.trace_id for s in chosen]
    assert [r["duration_ms"] for r in rows] == pytest.approx([s.duration / 1e6 for s in chosen])
    assert rows[0]["failed"] == 1


def _close(got: float | None, want: float | None) -> bool:
    """Equal to the engine's value up to float rounding; None (no event) on both sides."""
    if got is None or want is None:
        return got is want
    return bool(got == pytest.approx(want, rel=1e-12))


def test_slo_panels_equal_the_engine(seeded: Seeded) -> None:
    """Budget, compliance and state of every SLO of every app, and the admins' burn rates and
    pair verdicts, as the engine sees them at the end of the range; the SLI series as the
    engine's series API returns it."""
    targets = targets_from_files(seeded.config.slo_files)
    statuses = {s.target.key: s for s in evaluate(seeded.store, targets, seeded.end).statuses}
    by_path = {b.path: b for b in dashboards(seeded.config)}
    burn_sql = _sql(by_path["admin/overview.json"], "burn_rates")
    burn_rows = run(seeded.store, burn_sql, seeded.time, {})
    assert len(burn_rows) == 4 * len(targets)
    checked = set()
    for target in targets:
        built = by_path[f"{target.club}/{target.app}.json"]
        decision = statuses[target.key].decision
        prefix = f"slo:{target.name}:"
        (budget,) = run(seeded.store, _sql(built, prefix + "budget"), seeded.time,
                        _vars(None, None))
        assert _close(budget["budget_remaining"], decision.budget_remaining)
        (compliance,) = run(seeded.store, _sql(built, prefix + "compliance"), seeded.time, {})
        if decision.budget_remaining is None:
            assert compliance["sli"] is None
        else:
            assert compliance["sli"] == pytest.approx(
                1 - (1 - decision.budget_remaining) * target.policy.budget, rel=1e-9)
        burns = [b for b in burn_rows if (b["club"], b["app"], b["slo"], b["environment"])
                 == (target.club, target.app, target.name, target.environment or "")]
        assert [b["pair"] for b in burns] == [v.pair.name for v in decision.pairs]
        for row, verdict in zip(burns, decision.pairs, strict=True):
            assert _close(row["long_burn"], verdict.long_burn)
            assert _close(row["short_burn"], verdict.short_burn)
            assert _close(row["threshold"], verdict.factor)
            status = ("firing" if verdict.fired else verdict.suppressed or "ok")
            assert row["status"] == status
            checked.add(status)
        series = run(seeded.store, _sql(built, prefix + "sli"), seeded.time, _vars(None, None))
        engine = sli_series(seeded.store, target, seeded.start, seeded.end, STEP)
        by_time = {r["time"]: r for r in series}
        points = [p for p in engine if p.total > 0]
        for point in points:
            row = by_time[point.t.replace(tzinfo=None)]
            assert row["sli"] == pytest.approx(point.sli, rel=1e-12)
            assert row["objective"] == pytest.approx(target.slo.objective / 100)
        assert set(by_time) - {p.t.replace(tzinfo=None) for p in points} <= {
            seeded.end.replace(tzinfo=None)}
    # The seed makes the verdicts vary: a paging outage, a disabled page pair, thin traffic.
    assert {"firing", "ok", "disabled", "low_traffic"} <= checked


def test_availability_sli_from_spans(seeded: Seeded, site: Built, spans: list[Span]) -> None:
    """The availability SLI of site-web (environment prod, all routes), from raw spans."""
    groups: dict[Any, list[Span]] = defaultdict(list)
    for s in spans:
        minute = int(s.seconds) // 60 * 60
        if (s.service == "site-web" and s.server and s.environment == "prod"
                and in_range(minute, seeded.time)):
            groups[bucket(minute, STEP)].append(s)
    rows = run(seeded.store, _sql(site, "slo:availability:sli"), seeded.time, _vars(None, None))
    assert {r["time"]: r["sli"] for r in rows} == pytest.approx(
        {t: 1 - sum(s.failed for s in g) / len(g) for t, g in groups.items()})
    assert min(r["sli"] for r in rows) < 0.99


def test_app_state_is_the_worst_of_its_slos(seeded: Seeded) -> None:
    """The top row's state: the worst engine state of the app's SLOs (page first)."""
    targets = targets_from_files(seeded.config.slo_files)
    statuses = evaluate(seeded.store, targets, seeded.end).statuses
    order = ["page", "no_data", "low_traffic", "ticket", "ok"]
    seen = set()
    for built in dashboards(seeded.config):
        if built.path.startswith("admin/"):
            continue
        club, app = built.path.removesuffix(".json").split("/")
        states = [s.decision.state for s in statuses
                  if (s.target.club, s.target.app) == (club, app)]
        (row,) = run(seeded.store, _sql(built, "state"), seeded.time, {})
        assert row["state"] == min(states, key=order.index), built.path
        seen.add(row["state"])
    assert {"page", "no_data", "low_traffic"} <= seen


def test_compliance_from_spans(seeded: Seeded, site: Built, spans: list[Span]) -> None:
    """site-web's availability and latency (500 ms) over 30 days, counted from the raw spans:
    server spans of prod in the 30 days before the minute of the end of the range."""
    end_minute = int(seeded.end.timestamp()) // 60 * 60
    prod = [s for s in spans if s.service == "site-web" and s.server and s.environment == "prod"
            and end_minute - 30 * 86400 <= s.seconds < end_minute]
    assert prod
    (availability,) = run(seeded.store, _sql(site, "slo:availability:compliance"),
                          seeded.time, {})
    assert availability["sli"] == pytest.approx(1 - sum(s.failed for s in prod) / len(prod))
    (latency,) = run(seeded.store, _sql(site, "slo:latency:compliance"), seeded.time, {})
    assert latency["sli"] == pytest.approx(
        sum(s.duration <= 500 * 10**6 for s in prod) / len(prod))
    assert availability["sli"] < 0.999  # the outage misses the objective


def test_incident_annotations(seeded: Seeded, site: Built) -> None:
    (annotation,) = [a for a in site.json["annotations"]["list"]
                     if a.get("target", {}).get("refId") == "Incidents"]
    sql = annotation["target"]["rawSql"]
    rows = run(seeded.store, sql, seeded.time, {})
    # algoets is a French club: severities read in French.
    assert [(r["time"], r["timeEnd"], r["tags"]) for r in rows] == [
        ((seeded.end - timedelta(minutes=120)).replace(tzinfo=None),
         (seeded.end - timedelta(minutes=90)).replace(tzinfo=None), "à surveiller"),
        ((seeded.end - timedelta(minutes=35)).replace(tzinfo=None),
         seeded.end.replace(tzinfo=None), "urgent"),
    ]
    assert rows[1]["text"] == "INC-OUTAGE001 · Disponibilité · urgent"
    # Over the last hour only the outage shows; the wiki's incident stays on the wiki's board.
    last_hour = TimeRange(seeded.end - timedelta(hours=1), seeded.end, seeded.time.interval)
    assert [r["tags"] for r in run(seeded.store, sql, last_hour, {})] == ["urgent"]
    # The telemetry pseudo-SLO is named in words too.
    wiki = next(b for b in dashboards(seeded.config) if b.path == "cedille/wiki.json")
    (wiki_sql,) = [a["target"]["rawSql"] for a in wiki.json["annotations"]["list"]
                   if a.get("target", {}).get("refId") == "Incidents"]
    assert [r["text"] for r in run(seeded.store, wiki_sql, seeded.time, {})] == [
        "INC-WIKI00001 · réception des données · aucune donnée reçue"]


def test_custom_rollup_sli_equals_the_engine(seeded: Seeded) -> None:
    """A custom SLI over the rollup (no sample uses one), restricted to an environment."""
    slo_file = SloFile(app="site-web", club="algoets", environment="prod", slos=[Slo(
        name="custom-rollup", objective=99.5, window="7d", min_events=50,
        sli=CustomSli(kind="custom", source="rollup", good="sum(Total) - sum(Errors)",
                      total="sum(Total)"))])
    (target,) = targets_from_files([slo_file])
    built = app_dashboard("algoets", "site-web", [slo_file])
    (status,) = evaluate(seeded.store, [target], seeded.end).statuses
    (budget,) = run(seeded.store, _sql(built, "slo:custom-rollup:budget"), seeded.time, {})
    assert _close(budget["budget_remaining"], status.decision.budget_remaining)
    burns = run(seeded.store, burn_rate_table([target]), seeded.time, {})
    for row, verdict in zip(burns, status.decision.pairs, strict=True):
        assert _close(row["long_burn"], verdict.long_burn)
        assert row["status"] == ("firing" if verdict.fired else verdict.suppressed or "ok")
    assert status.decision.state == "page"
    series = run(seeded.store, _sql(built, "slo:custom-rollup:sli"), seeded.time, {})
    engine = {p.t.replace(tzinfo=None): p.sli
              for p in sli_series(seeded.store, target, seeded.start, seeded.end, STEP)
              if p.total > 0}
    assert {r["time"]: r["sli"] for r in series if r["time"] in engine} == pytest.approx(engine)
    # The panel's range also holds the minute at its end, the engine's series does not.
    assert {r["time"] for r in series} - set(engine) <= {seeded.end.replace(tzinfo=None)}
    assert len(engine) == 36
