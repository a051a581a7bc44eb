"""Benchmark: one SLO evaluation cycle through the rollups vs the same SLOs over raw spans.

    .venv/bin/python bench/slo_eval.py [--sizes 10M,50M] [--dir /tmp/vigie-bench]

For each size: a fresh database in its own chdb directory, 200 apps x 2 SLOs (availability with
a route filter, latency with per-app thresholds), 30 days of server spans generated inside the
engine (``INSERT ... SELECT FROM numbers()``, through the rollups' materialized views). Then:
the median time of a full evaluation cycle over the rollups, the same over raw spans
(``source="raw"``), their ratio, and a cycle with 1,000 SLOs over the rollups.

Targets: a cycle <= 0.25 s at every size (flat as raw data grows), >= 5x faster than raw at
50 M spans, 1,000 SLOs <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigie.config.slo import SloFile
from vigie.settings import load_settings
from vigie.slo.catalog import SloTarget, targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.store import Store, connect
from vigie.store.migrations import migrate

APPS = 200
ROUTES = ("/", "/api/items", "/api/items/{id}", "/login", "/healthz")
DAYS = 30
CHUNK = 5_000_000
TTL_MARGIN = timedelta(hours=2)

_GENERATE = """\
INSERT INTO otel_traces
    (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
     SpanAttributes, Duration, StatusCode)
SELECT
    fromUnixTimestamp64Nano(toInt64({start_ns:Int64} + n * {step_ns:UInt64}), 'UTC'),
    lower(hex(cityHash64(n))), lower(hex(cityHash64(n, 1))),
    'GET', 'Server', concat('app-', toString(n % {apps:UInt32})),
    map('deployment.environment.name', 'prod'),
    map('http.route', {routes:Array(String)}[1 + intDiv(n, {apps:UInt32}) % 5],
        'http.response.status_code', if(cityHash64(n, 2) % 1000 = 0, '503', '200')),
    -- 5 to 1,500 ms, skewed to fast answers, to the nanosecond
    toUInt64(5e6 + pow((cityHash64(n, 3) % 10000) / 10000, 3) * 1.495e9 + cityHash64(n, 4) % 1000),
    if(cityHash64(n, 2) % 1000 = 0, 'Error', 'Unset')
FROM (SELECT number + {offset:UInt64} AS n FROM numbers({count:UInt64}))"""


def generate(store: Store, total: int, end: datetime) -> float:
    started = time.perf_counter()
    # Two hours short of 30 days: raw spans older than the 30-day TTL would be dropped by merges
    # while the (longer-lived) rollups keep them, and the comparison with raw would be unfair.
    span = timedelta(days=DAYS) - TTL_MARGIN
    start = end - span
    step_ns = int(span.total_seconds()) * 10**9 // total
    for offset in range(0, total, CHUNK):
        store.command(
            _GENERATE,
            {
                "start_ns": int(start.timestamp()) * 10**9,
                "step_ns": step_ns,
                "apps": APPS,
                "routes": list(ROUTES),
                "offset": offset,
                "count": min(CHUNK, total - offset),
            },
        )
    return time.perf_counter() - started


def slo_files(per_app: int) -> list[SloFile]:
    files = []
    for i in range(APPS):
        slos: list[dict[str, object]] = [
            {
                "name": "availability",
                "objective": 99.9,
                "sli": {"kind": "availability"},
                "routes": {"exclude": ["/healthz"]},
            }
        ]
        for j in range(per_app - 1):
            slos.append(
                {
                    "name": f"latency-{j}",
                    "objective": 95,
                    "window": "28d" if j % 2 else "30d",
                    "sli": {"kind": "latency", "threshold_ms": 100 + 50 * ((i + j) % 9)},
                    "routes": {"include": ["/api/items", "/api/items/{id}"]} if j % 3 else None,
                }
            )
        files.append(SloFile.model_validate({"app": f"app-{i}", "club": "bench", "slos": slos}))
    return files


def median_time(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_size(store: Store, total: int, targets: list[SloTarget], big: list[SloTarget]) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    took = generate(store, total, now)
    rollup_rows = store.query(
        "SELECT (SELECT count() FROM vigie_slo_le_minute), "
        "(SELECT count() FROM vigie_slo_le_hour), (SELECT count() FROM vigie_slo_le_day)"
    ).rows[0]
    print(f"\n== {total:,} spans ({took:.0f} s to generate)")
    print(f"rollup rows (minute, hour, day): {rollup_rows}")
    statuses = evaluate(store, targets, now).statuses
    raw_statuses = evaluate(store, targets, now, source="raw").statuses
    differ = [
        (a.target.key, a.decision.events_total, b.decision.events_total)
        for a, b in zip(statuses, raw_statuses, strict=True)
        if (a.decision.events_total, a.decision.events_bad, a.decision.burn_rates)
        != (b.decision.events_total, b.decision.events_bad, b.decision.burn_rates)
    ]
    rollup = median_time(lambda: evaluate(store, targets, now), 5)
    raw = median_time(lambda: evaluate(store, targets, now, source="raw"), 3)
    many = median_time(lambda: evaluate(store, big, now), 3)
    print(f"{len(targets)} SLOs, rollup cycle:   {rollup:8.3f} s")
    print(
        f"{len(targets)} SLOs, raw-span cycle: {raw:8.3f} s   (raw / rollup = {raw / rollup:.1f}x)"
    )
    print(f"{len(big)} SLOs, rollup cycle:  {many:8.3f} s")
    print(f"rollup and raw counts identical: {not differ}", differ[:3] if differ else "")


def parse_size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 10**3, "M": 10**6}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M,50M", help="comma-separated span counts")
    parser.add_argument("--dir", default=None, help="chdb data directory (default: a temp dir)")
    args = parser.parse_args()
    directory = Path(args.dir or tempfile.mkdtemp(prefix="vigie-bench-"))
    os.environ["VIGIE_CLICKHOUSE_DSN"] = f"chdb://{directory}"
    targets = targets_from_files(slo_files(2))
    big = targets_from_files(slo_files(5))
    for index, size in enumerate(parse_size(s) for s in args.sizes.split(",")):
        settings = load_settings(clickhouse_database=f"bench{index}", query_timeout_s=600)
        store = connect(settings)
        store.command(f"DROP DATABASE IF EXISTS bench{index}")
        store = connect(settings)
        migrate(store, settings)
        bench_size(store, size, targets, big)
        store.command(f"DROP DATABASE bench{index}")
    print(f"\n(python {sys.version.split()[0]}, chdb dir {directory})")


if __name__ == "__main__":
    main()
