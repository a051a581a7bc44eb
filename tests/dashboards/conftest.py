"""One migrated database per test session, seeded once with deterministic telemetry.

* ``site-web`` and ``api-concours``: three hours of the load generator's requests (spans and
  logs through the OTLP converters), with an outage of site-web in the last 40 minutes (pages);
* ``site-web`` in ``staging``: synthetic spans, half failing (the ``env`` filter must drop them);
* ``forge``: repository API calls, one in three failing (its custom raw SLI, ticket only);
* ``wiki``: a trickle of failures (below ``min_events``: low traffic);
* ``portail``: nothing (no data);
* Vigie's own histograms (cycle duration and lag, write duration), three cumulative exports;
* incidents (:data:`INCIDENTS`, through the incident store) and outbox rows (:data:`OUTBOX`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb
from tests.dashboards.macros import TimeRange

from vigie.config import Config, load_config
from vigie.incidents.model import SILENT_SLO, Event
from vigie.incidents.store import IncidentStore
from vigie.ingest.logs import convert_logs
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import ConvertResult, NoScrub
from vigie.ingest.traces import convert_traces
from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.otlp import encode_logs, encode_traces
from vigie.loadgen.scenarios import Scenario
from vigie.loadgen.traffic import request_stream
from vigie.settings import load_settings
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store, connect
from vigie.store.migrations import migrate
from vigie.store.migrations.m0025_notify_outbox import OUTBOX as OUTBOX_TABLE

REPO = Path(__file__).resolve().parents[2]
_NS = 1_000_000_000

# (minutes before the end, count, sum) of each cumulative export of the evaluator histograms.
CYCLE_EXPORTS = {
    "vigie.slo.cycle.duration": ((50, 4, 0.8), (49, 6, 1.4), (48, 9, 1.7)),
    "vigie.slo.cycle.lag": ((50, 4, 0.02), (49, 6, 0.06), (48, 9, 0.09)),
    "vigie.ingest.write_duration": ((50, 10, 0.5), (49, 30, 0.9), (47, 31, 1.4)),
}

# (incident, seq, minutes after the end, kind, club, app, slo, severity) of seeded events.
INCIDENT_EVENTS = (
    # site-web: a ticket two hours ago, resolved; a page during the outage, still open.
    ("INC-LATENCY01", 1, -120, "opened", "algoets", "site-web", "latency", "ticket"),
    ("INC-LATENCY01", 2, -90, "resolved", "algoets", "site-web", "latency", "ticket"),
    ("INC-OUTAGE001", 1, -35, "opened", "algoets", "site-web", "availability", "ticket"),
    ("INC-OUTAGE001", 2, -30, "escalated", "algoets", "site-web", "availability", "page"),
    ("INC-OUTAGE001", 3, -20, "acknowledged", "algoets", "site-web", "availability", "page"),
    # forge: open ticket; wiki: telemetry incident resolved only after the end of the range.
    ("INC-FORGE0001", 1, -60, "opened", "cedille", "forge", "repo-api", "ticket"),
    ("INC-WIKI00001", 1, -170, "opened", "cedille", "wiki", SILENT_SLO, "no_data"),
    ("INC-WIKI00001", 2, 10, "resolved", "cedille", "wiki", SILENT_SLO, "no_data"),
)

# (channel, event, minutes before the end) of outbox rows.
OUTBOX = (
    *[("algoets", "pending", 50 - i) for i in range(4)],
    ("algoets", "sent", 49), ("algoets", "retried", 48), ("algoets", "retried", 47),
    ("algoets", "sent", 46), ("algoets", "sent", 45), ("algoets", "failed", 44),
    ("admins", "pending", 30), ("admins", "pending", 29), ("admins", "sent", 28),
    ("admins", "dead", 27), ("admins", "sent", 500),  # long before the range
)


@dataclass(frozen=True)
class Seeded:
    """The seeded database, and the instants of the seed.

    ``end`` is the last whole hour of the engine's own clock when the session starts: the seed
    always lies in the recent past, inside every table's TTL, whatever the day.
    """

    store: Store
    config: Config
    end: datetime

    @property
    def start(self) -> datetime:
        return self.end - timedelta(hours=3)

    @property
    def outage_start(self) -> datetime:
        return self.end - timedelta(minutes=40)

    @property
    def time(self) -> TimeRange:
        """The dashboards' range in these tests: the seed's three hours, 5-minute steps."""
        return TimeRange(self.start, self.end, timedelta(minutes=5))

    def minutes(self, offset: float) -> datetime:
        return self.end + timedelta(minutes=offset)

    @property
    def incidents(self) -> tuple[Event, ...]:
        return tuple(
            Event(incident, seq, self.minutes(m), self.minutes(m),
                  kind, club, app, "", slo, severity,  # type: ignore[arg-type]
                  f"{kind} by the seed")
            for incident, seq, m, kind, club, app, slo, severity in INCIDENT_EVENTS
        )

    @property
    def cycle_exports(self) -> dict[str, tuple[tuple[datetime, int, float], ...]]:
        """(at, count, sum) of each cumulative export."""
        return {name: tuple((self.minutes(-m), count, total) for m, count, total in exports)
                for name, exports in CYCLE_EXPORTS.items()}


def _insert(store: Store, result: ConvertResult) -> None:
    assert result.rejected == 0, result.error_message
    for batch in result.batches:
        store.insert(batch.table, batch.columns, batch.data, column_oriented=True)


def _histograms(seed: Seeded) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    service = KeyValue(key="service.name", value=AnyValue(string_value="vigie"))
    rm.resource.attributes.append(service)
    scope = rm.scope_metrics.add()
    scope.scope.name = "vigie"
    cycle_start = seed.end - timedelta(hours=1)
    for name, exports in seed.cycle_exports.items():
        points = [
            pb.HistogramDataPoint(
                start_time_unix_nano=int(cycle_start.timestamp()) * _NS,
                time_unix_nano=int(at.timestamp()) * _NS,
                count=count,
                sum=total,
                bucket_counts=[count, 0],
                explicit_bounds=[10.0],
            )
            for at, count, total in exports
        ]
        scope.metrics.append(pb.Metric(name=name, unit="s", histogram=pb.Histogram(
            data_points=points,
            aggregation_temporality=pb.AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        )))
    return request


def _seed(seed: Seeded) -> None:
    store, start, end = seed.store, seed.start, seed.end
    apps = tuple(a for a in SAMPLE_APPS if a.name in ("site-web", "api-concours"))
    outage = Scenario("outage", "algoets/site-web", int(seed.outage_start.timestamp()) * _NS,
                      int(end.timestamp()) * _NS, share=0.5)
    requests = list(request_stream(apps, int(start.timestamp()) * _NS,
                                   int(end.timestamp()) * _NS, 1.5, (outage,), seed=6))
    _insert(store, convert_traces(encode_traces(requests), NoScrub()))
    _insert(store, convert_logs(encode_logs(requests), NoScrub()))
    synthetic: list[dict[str, Any]] = [
        {"service": "site-web", "environment": "staging", "route": "/", "per_minute": 6,
         "error_every": 2, "start": start, "duration": timedelta(hours=3)},
        {"service": "forge", "route": "/api/v1/repos/{owner}/{repo}", "per_minute": 20,
         "error_every": 3, "start": start, "duration": timedelta(hours=3)},
        {"service": "forge", "route": "/explore", "per_minute": 10, "error_every": 0,
         "start": start, "duration": timedelta(hours=3)},
        {"service": "wiki", "route": "/wiki/{page}", "per_minute": 0.5, "error_every": 2,
         "start": end - timedelta(minutes=50), "duration": timedelta(minutes=50),
         "duration_ms": 1500.0},
    ]
    for spec in synthetic:
        insert_traffic(store, **spec)
    _insert(store, convert_metrics(_histograms(seed), NoScrub()))
    IncidentStore(store).append(seed.incidents)
    store.insert(OUTBOX_TABLE, ("key", "channel", "event", "kind", "at"), [
        (f"{channel}-{i}", channel, event, "incident", end - timedelta(minutes=minutes))
        for i, (channel, event, minutes) in enumerate(OUTBOX)
    ])


def migrated_store(store_dsn: str, prefix: str) -> Store:
    """A migrated database of its own in the session's store (``<prefix><pid>``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VIGIE_CLICKHOUSE_DSN", store_dsn)
        patch.setenv("VIGIE_CLICKHOUSE_DATABASE", f"{prefix}{os.getpid()}")
        settings = load_settings()
    store = connect(settings)
    migrate(store, settings)
    return store


@pytest.fixture(scope="session")
def seeded(store_dsn: str) -> Iterator[Seeded]:
    store = migrated_store(store_dsn, "dash")
    (now_s,) = store.query("SELECT toUnixTimestamp(now())").rows[0]
    seed = Seeded(store, load_config(REPO), datetime.fromtimestamp(now_s // 3600 * 3600, UTC))
    _seed(seed)
    yield seed
    store.command(f"DROP DATABASE IF EXISTS `{store.database}`")
