from __future__ import annotations

import time
from typing import Any

from google.protobuf.message import Message
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.metrics import Observation
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from tests.ingest.otlp import key_values
from tests.ingest.test_logs import _request as _logs_request
from tests.ingest.test_traces import _sdk_spans

from vigie.ingest.decode import PROTOBUF, decode_request
from vigie.ingest.logs import convert_logs
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import ConvertResult, NoScrub, TableBatch
from vigie.ingest.traces import convert_traces
from vigie.settings import Settings
from vigie.store import Store
from vigie.store import tables as t
from vigie.store.migrations import migrate


def _rows(batch: TableBatch) -> list[dict[str, Any]]:
    return [dict(zip(batch.columns, row, strict=True)) for row in zip(*batch.data, strict=True)]


def _by_table(result: ConvertResult) -> dict[str, list[dict[str, Any]]]:
    return {batch.table: _rows(batch) for batch in result.batches}


def _sdk_metrics() -> Message:
    reader = InMemoryMetricReader()
    provider = MeterProvider(
        resource=Resource.create({"service.name": "vote"}),
        metric_readers=[reader],
        views=[View(instrument_name="payload.size",
                    aggregation=ExponentialBucketHistogramAggregation())],
    )
    meter = provider.get_meter("vigie.tests.metrics", "2.0")
    meter.create_counter("requests", unit="{request}", description="Requests").add(
        3, {"route": "/vote"})
    meter.create_up_down_counter("inflight").add(-2)
    meter.create_histogram("latency", unit="s").record(0.2, {"route": "/vote"})
    meter.create_histogram("payload.size").record(1500)
    meter.create_observable_gauge(
        "temperature", callbacks=[lambda _options: [Observation(21.5, {"room": "A-1234"})]])
    data = reader.get_metrics_data()
    assert data is not None
    body = encode_metrics(data).SerializeToString()
    return decode_request(body, PROTOBUF, None, "metrics", 1 << 20)


def test_sdk_metrics_fill_the_table_of_their_type() -> None:
    result = convert_metrics(_sdk_metrics(), NoScrub())
    assert result.rejected == 0
    tables = _by_table(result)
    assert set(tables) == {
        t.METRICS_SUM, t.METRICS_HISTOGRAM, t.METRICS_EXPONENTIAL_HISTOGRAM, t.METRICS_GAUGE}
    for batch in result.batches:
        assert batch.columns == t.INSERT_COLUMNS[batch.table]
    sums = {r["MetricName"]: r for r in tables[t.METRICS_SUM]}
    requests = sums["requests"]
    assert (requests["Value"], requests["IsMonotonic"], requests["AggregationTemporality"]) == (
        3.0, True, 2)
    assert requests["Attributes"] == {"route": "/vote"}
    assert (requests["MetricUnit"], requests["MetricDescription"]) == ("{request}", "Requests")
    assert (requests["ServiceName"], requests["ScopeName"], requests["ScopeVersion"]) == (
        "vote", "vigie.tests.metrics", "2.0")
    assert requests["TimeUnix"] >= requests["StartTimeUnix"] > 1_600_000_000  # seconds
    assert (sums["inflight"]["Value"], sums["inflight"]["IsMonotonic"]) == (-2.0, False)

    (latency,) = tables[t.METRICS_HISTOGRAM]
    assert (latency["Count"], latency["Sum"], latency["Min"], latency["Max"]) == (1, 0.2, 0.2, 0.2)
    assert sum(latency["BucketCounts"]) == 1
    assert len(latency["BucketCounts"]) == len(latency["ExplicitBounds"]) + 1

    (size,) = tables[t.METRICS_EXPONENTIAL_HISTOGRAM]
    assert (size["Count"], size["Sum"]) == (1, 1500.0)
    assert sum(size["PositiveBucketCounts"]) == 1 and sum(size["NegativeBucketCounts"]) == 0

    (gauge,) = tables[t.METRICS_GAUGE]
    assert (gauge["MetricName"], gauge["Value"], gauge["Attributes"]) == (
        "temperature", 21.5, {"room": "A-1234"})


def _metric_request(*metrics: pb.Metric) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.attributes.extend(key_values({"service.name": "m"}))
    rm.scope_metrics.add(scope={"name": "s", "dropped_attributes_count": 4}).metrics.extend(metrics)
    return request


def test_summaries_exemplars_and_refused_points() -> None:
    exemplar = pb.Exemplar(time_unix_nano=1_700_000_000_900_000_000, as_int=7,
                           trace_id=bytes(range(16)), filtered_attributes=key_values({"k": 1}))
    no_ids = pb.Exemplar(time_unix_nano=5, as_double=0.5)
    request = _metric_request(
        pb.Metric(name="rpc", summary=pb.Summary(data_points=[pb.SummaryDataPoint(
            time_unix_nano=1_700_000_000_000_000_000, count=4, sum=10.0,
            quantile_values=[pb.SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=2.0),
                             pb.SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=4.0)]),
        ])),
        pb.Metric(name="g", gauge=pb.Gauge(data_points=[
            pb.NumberDataPoint(time_unix_nano=1_700_000_000_000_000_000, as_int=5,
                               exemplars=[exemplar, no_ids], flags=1),
            pb.NumberDataPoint(time_unix_nano=2**33 * 10**9),  # past 2106
            pb.NumberDataPoint(exemplars=[pb.Exemplar(span_id=b"\x01")]),
            pb.NumberDataPoint(),  # no value: 0, epoch
        ])),
        pb.Metric(name="nothing"),
    )
    result = convert_metrics(request, NoScrub())
    assert (result.rows, result.rejected) == (3, 3)
    assert "no data" in result.error_message and "2106" in result.error_message
    tables = _by_table(result)
    (summary,) = tables[t.METRICS_SUMMARY]
    assert summary["ValueAtQuantiles.Quantile"] == [0.5, 0.99]
    assert summary["ValueAtQuantiles.Value"] == [2.0, 4.0]
    assert (summary["Count"], summary["Sum"], summary["TimeUnix"]) == (4, 10.0, 1_700_000_000)
    assert summary["ScopeDroppedAttrCount"] == 4
    first, empty = tables[t.METRICS_GAUGE]
    assert (first["Value"], first["Flags"]) == (5.0, 1)
    assert first["Exemplars.Value"] == [7.0, 0.5]
    assert first["Exemplars.TimeUnix"] == [1_700_000_000, 0]
    assert first["Exemplars.TraceId"] == [bytes(range(16)).hex(), "0" * 32]
    assert first["Exemplars.SpanId"] == ["0" * 16, "0" * 16]
    assert first["Exemplars.FilteredAttributes"] == [{"k": "1"}, {}]
    assert (empty["Value"], empty["TimeUnix"], empty["Exemplars.Value"]) == (0.0, 0, [])


def test_every_converter_inserts_into_the_migrated_tables(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    traces, _ = _sdk_spans()
    results = [
        convert_traces(traces, NoScrub()),
        convert_logs(_logs_request(pb_log()), NoScrub()),
        convert_metrics(_sdk_metrics(), NoScrub()),
        convert_metrics(_metric_request(pb.Metric(name="rpc", summary=pb.Summary(
            data_points=[pb.SummaryDataPoint(count=1, time_unix_nano=time.time_ns())]))),
            NoScrub()),
    ]
    written: dict[str, int] = {}
    for result in results:
        for batch in result.batches:
            assert batch.columns == t.INSERT_COLUMNS[batch.table]
            store.insert(batch.table, batch.columns, batch.data, column_oriented=True)
            written[batch.table] = written.get(batch.table, 0) + batch.rows
    assert set(written) == set(t.INSERT_COLUMNS)
    insertable = store.query(
        "SELECT table, groupArray(name) FROM system.columns"
        " WHERE database = currentDatabase() AND default_kind = '' GROUP BY table"
    ).rows
    for table, names in insertable:
        if table in written:
            assert sorted(names) == sorted(t.INSERT_COLUMNS[table]), table
    for table, rows in written.items():
        assert store.query(f"SELECT count() FROM {table}").scalar() == rows
    got = store.query(
        f"SELECT MetricName, Value, toUnixTimestamp(TimeUnix), IsMonotonic FROM {t.METRICS_SUM}"
        " ORDER BY MetricName"
    ).rows
    sums = sorted(
        (r["MetricName"], r["Value"], r["TimeUnix"], r["IsMonotonic"])
        for r in _by_table(results[2])[t.METRICS_SUM]
    )
    assert got == sums
    body = store.query(f"SELECT Body, Timestamp FROM {t.LOGS}").rows
    assert body[0][0] == "hello"


def pb_log() -> Any:
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
    from tests.ingest.otlp import any_value

    # A current time: the tables' TTL drops rows older than ttl_days at insert.
    return LogRecord(time_unix_nano=time.time_ns(), body=any_value("hello"))
