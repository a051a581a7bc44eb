"""The captain's panels beyond request traffic, on their own database seeded relative to the
engine's clock: deployments (``service.version``), requests per day over 30 days (older than
the raw spans' 7 days: read from the rollup), and the Kubernetes receivers' pod metrics. Every
expected value is computed here from the seeded rows. Also: the thresholds and the language of
the generated dashboards."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb
from tests.dashboards.conftest import migrated_store
from tests.dashboards.macros import TimeRange, Variable
from tests.dashboards.spans import run

from vigie.config import load_config
from vigie.dashboards.app import DEFAULT_TIMEZONE, Built
from vigie.dashboards.build import dashboards
from vigie.dashboards.texts import TEXTS, fields
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import NoScrub
from vigie.store import Store, tables

REPO = Path(__file__).resolve().parents[2]
PROVES = ("requests_per_day", "cpu", "memory", "restarts", "annotation:Deployments")
APP = "site-web"
_NS = 10**9

# (days before now, environment, route, requests, service.version) of the seeded server spans.
TRAFFIC = (
    (25, "prod", "/", 7, "1.0.0"), (25, "prod", "/login", 3, "1.0.0"),
    (12, "prod", "/", 5, "1.0.0"), (3, "prod", "/", 4, "1.1.0"), (3, "prod", "/login", 2, "1.1.0"),
    (2, "staging", "/", 6, "2.0.0-rc1"), (1, "staging", "/", 2, "2.0.0-rc2"),
    (1, "prod", "/", 3, ""),  # an instance without a version: no deployment
    (0, "prod", "/", 5, "1.2.0"),
)
# (pod, container, minutes before now, cpu cores, memory bytes, restart count).
PODS = (
    ("site-web-a", "web", 50, 0.20, 100e6, 1), ("site-web-a", "web", 30, 0.40, 120e6, 1),
    ("site-web-a", "web", 10, 0.30, 140e6, 3), ("site-web-b", "web", 40, 0.10, 90e6, 0),
    ("site-web-b", "web", 20, 0.50, 95e6, 1),
)


@pytest.fixture(scope="module")
def fresh(store_dsn: str) -> Iterator[tuple[Store, datetime]]:
    store = migrated_store(store_dsn, "captain")
    (now,) = store.query("SELECT toUnixTimestamp(now())").rows[0]
    at = datetime.fromtimestamp(int(now) // 60 * 60, UTC)
    _seed(store, at)
    yield store, at
    store.command(f"DROP DATABASE IF EXISTS `{store.database}`")


def _span_time(at: datetime, days: int, i: int) -> datetime:
    return at - timedelta(days=days, minutes=30) + timedelta(seconds=7 * i)


def _seed(store: Store, at: datetime) -> None:
    rows = []
    for days, env, route, count, version in TRAFFIC:
        resource = {"service.name": APP, "deployment.environment.name": env}
        if version:
            resource["service.version"] = version
        for i in range(count):
            rows.append((_span_time(at, days, i), f"{days:02d}{env}{route}{i}".ljust(32, "0"),
                         f"{i:016d}", "GET", "Server", APP, resource, {"http.route": route},
                         20_000_000, "Unset"))
    store.insert(tables.TRACES, ("Timestamp", "TraceId", "SpanId", "SpanName", "SpanKind",
                                 "ServiceName", "ResourceAttributes", "SpanAttributes",
                                 "Duration", "StatusCode"), rows)
    result = convert_metrics(_pod_metrics(at), NoScrub())
    for batch in result.batches:
        store.insert(batch.table, batch.columns, batch.data, column_oriented=True)


def _pod_metrics(at: datetime) -> ExportMetricsServiceRequest:
    """What kubeletstats and k8s_cluster send, labelled by k8s_attributes (no service.name)."""
    request = ExportMetricsServiceRequest()
    for pod, container, minutes, cpu, memory, restarts in PODS:
        rm = request.resource_metrics.add()
        for key, value in (("k8s.pod.name", pod), ("k8s.container.name", container),
                           ("k8s.namespace.name", "site-web-prod"),
                           ("k8s.deployment.name", APP)):
            rm.resource.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
        scope = rm.scope_metrics.add()
        t = int((at - timedelta(minutes=minutes)).timestamp()) * _NS
        for name, value in (("k8s.pod.cpu.usage", cpu), ("k8s.pod.memory.working_set", memory),
                            ("k8s.container.restarts", float(restarts))):
            scope.metrics.append(pb.Metric(name=name, gauge=pb.Gauge(
                data_points=[pb.NumberDataPoint(time_unix_nano=t, as_double=value)])))
    # Another app's pod: never counted for site-web.
    rm = request.resource_metrics.add()
    rm.resource.attributes.append(KeyValue(key="k8s.deployment.name",
                                           value=AnyValue(string_value="forge")))
    rm.scope_metrics.add().metrics.append(pb.Metric(name="k8s.pod.cpu.usage", gauge=pb.Gauge(
        data_points=[pb.NumberDataPoint(time_unix_nano=int(at.timestamp()) * _NS,
                                        as_double=9.0)])))
    return request


@pytest.fixture(scope="module")
def site() -> Built:
    return next(b for b in dashboards(load_config(REPO)) if b.path == f"algoets/{APP}.json")


def _sql(built: Built, key: str) -> str:
    sql = next(p.sql for p in built.panels if p.key == key)
    assert sql is not None
    return sql


def _vars(env: tuple[str, ...] | None = None) -> dict[str, Variable]:
    envs = ("prod", "staging")
    return {"env": Variable(envs) if env is None else Variable(envs, env),
            "route": Variable(("/", "/login"))}


def test_deployments_are_real_version_changes(fresh: tuple[Store, datetime], site: Built) -> None:
    store, at = fresh
    (annotation,) = [a for a in site.json["annotations"]["list"]
                     if a.get("target", {}).get("refId") == "Deployments"]
    sql = annotation["target"]["rawSql"]
    week = TimeRange(at - timedelta(days=7), at, timedelta(hours=1))
    rows = run(store, sql, week, _vars())
    first = {(env, version): min(_span_time(at, d, 0) for d, e, _, _, v in TRAFFIC
                                 if (e, v) == (env, version))
             for _, env, _, _, version in TRAFFIC if version}
    # prod: 1.0.0 (25 days ago, before the range) → 1.1.0 → 1.2.0; staging: rc1 → rc2 only
    # (rc1 has no version before it); the span without a version changes nothing.
    expected = sorted((first[(env, new)], f"Nouvelle version ({env}) : {old} → {new}")
                      for env, old, new in (("prod", "1.0.0", "1.1.0"), ("prod", "1.1.0", "1.2.0"),
                                            ("staging", "2.0.0-rc1", "2.0.0-rc2")))
    assert [(r["time"].replace(tzinfo=None), r["text"]) for r in rows] == [
        (t.replace(tzinfo=None), label) for t, label in expected]
    prod = run(store, sql, week, _vars(("prod",)))
    assert [r["text"] for r in prod] == ["Nouvelle version (prod) : 1.0.0 → 1.1.0",
                                         "Nouvelle version (prod) : 1.1.0 → 1.2.0"]
    last_day = TimeRange(at - timedelta(days=1, hours=1), at, timedelta(minutes=5))
    assert [r["text"] for r in run(store, sql, last_day, _vars(("prod",)))] == [
        "Nouvelle version (prod) : 1.1.0 → 1.2.0"]


@pytest.mark.parametrize("env", [None, ("prod",)])
def test_requests_per_day_over_30_days(fresh: tuple[Store, datetime], site: Built,
                                       env: tuple[str, ...] | None) -> None:
    store, at = fresh
    panel = next(p for p in site.json["panels"] if p["title"] == "Requêtes par jour, par route")
    assert panel["timeFrom"] == "30d"
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    expected: Counter[tuple[datetime, str]] = Counter()
    for days, e, route, count, _ in TRAFFIC:
        if env is None or e in env:
            for i in range(count):
                local = _span_time(at, days, i).astimezone(zone)
                day = local.replace(hour=0, minute=0, second=0, microsecond=0)
                expected[(day.astimezone(UTC).replace(tzinfo=None), route)] += 1
    month = TimeRange(at - timedelta(days=30), at, timedelta(hours=12))
    rows = run(store, _sql(site, "requests_per_day"), month, _vars(env))
    got = {(r["time"].astimezone(UTC).replace(tzinfo=None), r["route"]): r["requests"]
           for r in rows}
    assert got == dict(expected)
    assert len({day for day, _ in got}) >= 5  # spans older than the raw spans' 7 days count


def test_pod_resources(fresh: tuple[Store, datetime], site: Built) -> None:
    store, at = fresh
    hour = TimeRange(at - timedelta(hours=1), at, timedelta(minutes=1))
    for key, column in (("cpu", 3), ("memory", 4)):
        rows = run(store, _sql(site, key), hour, _vars())
        minute = timedelta(minutes=1)
        assert {(r["time"], r["pod"]): r["value"] for r in rows} == pytest.approx({
            ((at - p[2] * minute).replace(tzinfo=None), p[0]): p[column] for p in PODS})
    (restarts,) = run(store, _sql(site, "restarts"), hour, _vars())
    # a: 1 → 3, b: 0 → 1 within the hour.
    assert restarts["restarts"] == 3
    recent = TimeRange(at - timedelta(minutes=25), at, timedelta(minutes=1))
    assert run(store, _sql(site, "restarts"), recent, _vars())[0]["restarts"] == 0


def test_threshold_lines_are_the_objectives(site: Built) -> None:
    """site-web: availability 99.9 % (0.1 % errors tolerated), latency under 500 ms."""
    by_title = {p["title"]: p for p in site.json["panels"]}
    errors = by_title["Taux d'erreur"]["fieldConfig"]["defaults"]
    assert errors["custom"]["thresholdsStyle"] == {"mode": "dashed"}
    assert errors["thresholds"]["steps"][1] == {"color": "red", "value": pytest.approx(0.001)}
    latency = by_title["Temps de réponse"]["fieldConfig"]["defaults"]
    assert latency["thresholds"]["steps"][1] == {"color": "red", "value": 500}


def _strings(value: object) -> Iterator[str]:
    """Every text a reader sees: titles, descriptions, labels, names, mapped values."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (key in ("title", "description", "label", "name", "text", "displayName") and \
                    isinstance(item, str)) or (key == "value" and isinstance(item, str)):
                yield item
            else:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_each_club_reads_its_own_language_only() -> None:
    for key, (fr, en) in TEXTS.items():
        assert fr and en and fields(fr) == fields(en), key
    french = {fr for fr, en in TEXTS.values() if fr != en}
    english = {en for fr, en in TEXTS.values() if fr != en}
    built = {b.path: b for b in dashboards(load_config(REPO))}
    checked = set()
    for path, b in built.items():
        if path.startswith("admin/"):
            continue
        locale = "en" if path.startswith("sonia/") else "fr"  # alerts/clubs.yaml
        seen = set(_strings(b.json))
        other = english if locale == "fr" else french
        own = french if locale == "fr" else english
        assert not seen & other, (path, seen & other)
        assert len(seen & own) >= 20, path
        text = json.dumps(b.json, ensure_ascii=False)
        for leak in ("burn", "Burn", "budget", "SLO", "SLI", "page 1h"):
            if locale == "fr":
                assert leak not in " ".join(seen), (path, leak)
        assert "Taux de combustion" not in text and "Burn rates" not in text
        checked.add(locale)
    assert checked == {"fr", "en"}
    assert built["sonia/portail.json"].json["title"] == "portail (SONIA)"
