"""The rollup answers exactly what a scan of raw spans answers (availability and latency)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.config.slo import SloFile
from vigie.settings import Settings
from vigie.slo.catalog import SloTarget, targets_from_files
from vigie.slo.counts import frame_at, read_counts
from vigie.slo.decision import Counts
from vigie.store import Store
from vigie.store.migrations import discover, migrate

# In the past of the wall clock: the backfill copies spans that started before the rollup existed.
NOW = datetime.now(UTC).replace(second=30, microsecond=0) - timedelta(hours=1)
COLUMNS = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "SpanAttributes",
    "Duration",
    "StatusCode",
)
KINDS = ["Server", "SPAN_KIND_SERVER", "Client", "Internal"]
STATUSES = ["Unset", "Ok", "Error", "STATUS_CODE_ERROR"]
HTTP = [None, "200", "404", "500", "503"]
ROUTES = ["/a", "/b", "/c/{id}", None]


def random_spans(n: int, seed: int, clubs: tuple[str, ...] = ("",)) -> list[dict[str, Any]]:
    """``clubs``: the namespaces spans come from ("" for none)."""
    rng = random.Random(seed)
    spans = []
    for i in range(n):
        env_key = rng.choice(["deployment.environment.name", "deployment.environment", None])
        resource = {"service.name": "shop"}
        club = rng.choice(clubs)
        if club:
            resource["k8s.namespace.name"] = club
        env = ""
        if env_key:
            env = rng.choice(["prod", "staging"])
            resource[env_key] = env
        attrs: dict[str, str] = {}
        route = rng.choice(ROUTES)
        if route:
            attrs["http.route"] = route
        status = rng.choice(HTTP)
        if status:
            attrs[rng.choice(["http.response.status_code", "http.status_code"])] = status
        # durations around the 100 ms and 250 ms thresholds, to the nanosecond
        duration = rng.choice([100, 250, 99, 101, 1, 5000]) * 1_000_000 + rng.choice([-1, 0, 1])
        span = {
            "Timestamp": NOW - timedelta(seconds=rng.uniform(0, 4 * 86400)),
            "TraceId": f"{i:032x}",
            "SpanId": f"{i:016x}",
            "SpanKind": rng.choice(KINDS),
            "ServiceName": rng.choice(["shop", "shop", "wiki"]),
            "ResourceAttributes": resource,
            "SpanAttributes": attrs,
            "Duration": max(duration, 0),
            "StatusCode": rng.choice(STATUSES),
        }
        span["_env"], span["_route"], span["_club"] = env, route or "", club
        spans.append(span)
    return spans


def insert(store: Store, spans: list[dict[str, Any]]) -> None:
    store.insert("otel_traces", COLUMNS, [[s[c] for c in COLUMNS] for s in spans])


def expected(
    spans: list[dict[str, Any]], target: SloTarget, start: datetime, end: datetime
) -> Counts:
    """Counted in Python from the spans themselves, independently of any SQL."""
    total = bad = 0
    for s in spans:
        if s["ServiceName"] != target.app or s["SpanKind"] not in ("Server", "SPAN_KIND_SERVER"):
            continue
        if not (start <= s["Timestamp"] < end) or not target.matches(s["_env"], s["_route"]):
            continue
        if s["_club"] not in (target.club, ""):  # another club's span never counts
            continue
        total += 1
        if target.threshold_ms is not None:
            bad += s["Duration"] > target.threshold_ms * 1_000_000
        else:
            code = s["SpanAttributes"].get("http.response.status_code") or s["SpanAttributes"].get(
                "http.status_code", "0"
            )
            bad += s["StatusCode"] in ("Error", "STATUS_CODE_ERROR") or int(code) >= 500
    return Counts(total, bad)


TARGETS = targets_from_files(
    [
        SloFile.model_validate(
            {
                "app": "shop",
                "club": "cedille",
                "slos": [
                    {"name": "avail", "objective": 99.0, "sli": {"kind": "availability"}},
                    {
                        "name": "fast",
                        "objective": 99.0,
                        "window": "7d",
                        "sli": {"kind": "latency", "threshold_ms": 100},
                        "routes": {"include": ["/a", "/c/{id}"]},
                    },
                    {
                        "name": "fast-250",
                        "objective": 99.0,
                        "sli": {"kind": "latency", "threshold_ms": 250},
                        "routes": {"exclude": ["/b"]},
                    },
                ],
            }
        ),
        SloFile.model_validate(
            {
                "app": "shop",
                "club": "cedille",
                "environment": "prod",
                "slos": [{"name": "avail", "objective": 99.0, "sli": {"kind": "availability"}}],
            }
        ),
    ]
)


def check_all_sources(db: Store, spans: list[dict[str, Any]]) -> None:
    frame = frame_at(NOW, {"7d": timedelta(days=7), "30d": timedelta(days=30)})
    rollup = read_counts(db, TARGETS, frame, source="rollup")
    raw = read_counts(db, TARGETS, frame, source="raw")
    assert rollup == raw
    for target in TARGETS:
        for label, count in rollup[target.key].windows.items():
            start = frame.starts[frame.index(label)]
            assert count == expected(spans, target, start, frame.end), (target.key, label)
        period_start = frame.starts[frame.index(target.slo.window)]
        assert rollup[target.key].period == expected(spans, target, period_start, frame.end)
    assert sum(c.total for c in rollup[TARGETS[0].key].windows.values()) > 0


def test_rollup_equals_raw_spans_and_python(db: Store) -> None:
    # the same service in its club's namespace, in none, and in another club's
    spans = random_spans(3000, seed=1, clubs=("cedille", "", "sonia"))
    insert(db, spans[:1500])
    insert(db, spans[1500:])  # two inserts: the rollup holds partial rows until merged
    check_all_sources(db, spans)


def test_backfill_counts_existing_spans_once(store: Store, settings: Settings) -> None:
    before = [m for m in discover() if m.version < 10]
    migrate(store, settings, before)
    spans = random_spans(2000, seed=2)
    insert(store, spans[:1000])
    migrate(store, settings)  # creates the rollups and backfills the first half
    insert(store, spans[1000:])  # counted by the materialized view only
    check_all_sources(store, spans)
