"""Property tests: garbage and random-but-structured OTLP never escape the typed errors, and
valid rows are never lost next to invalid ones."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from tests.ingest.otlp import key_values

from vigie.ingest.decode import JSON, PROTOBUF, IngestHttpError, decode_request
from vigie.ingest.logs import convert_logs
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import MAX_DATETIME_S, MAX_TIMESTAMP_NS, ConvertResult, NoScrub
from vigie.ingest.traces import convert_traces
from vigie.settings import Settings
from vigie.store import Store
from vigie.store import tables as t
from vigie.store.migrations import migrate

# Some generated values are 70 kB strings (past the value cap): their reprs are large, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

CONVERTERS = {"traces": convert_traces, "logs": convert_logs, "metrics": convert_metrics}
SIGNALS = st.sampled_from(sorted(CONVERTERS))
LIMIT = 1 << 20

uint64 = st.integers(0, 2**64 - 1)
# Timestamps: mostly plausible, sometimes at the edges of what the columns hold.
timestamps = st.one_of(
    st.integers(1_600_000_000 * 10**9, 1_900_000_000 * 10**9),
    st.sampled_from([0, MAX_TIMESTAMP_NS, MAX_TIMESTAMP_NS + 1, 2**64 - 1,
                     (MAX_DATETIME_S + 1) * 10**9 - 1, (MAX_DATETIME_S + 1) * 10**9]),
    uint64,
)
ids = st.one_of(st.binary(min_size=16, max_size=16), st.binary(max_size=20))
span_ids = st.one_of(st.binary(min_size=8, max_size=8), st.binary(max_size=12))
texts = st.one_of(st.text(max_size=30), st.just("x" * 70_000))


def _any_values() -> st.SearchStrategy[AnyValue]:
    scalars = st.one_of(
        st.builds(AnyValue),
        st.builds(AnyValue, string_value=texts),
        st.builds(AnyValue, int_value=st.integers(-(2**63), 2**63 - 1)),
        st.builds(AnyValue, double_value=st.floats(allow_nan=True, allow_infinity=True)),
        st.builds(AnyValue, bool_value=st.booleans()),
        st.builds(AnyValue, bytes_value=st.binary(max_size=20)),
    )

    def nest(children: st.SearchStrategy[AnyValue]) -> st.SearchStrategy[AnyValue]:
        arrays = st.lists(children, max_size=3).map(
            lambda vs: AnyValue(array_value={"values": vs}))
        kvlists = st.lists(st.tuples(st.text(max_size=5), children), max_size=3).map(
            lambda kvs: AnyValue(kvlist_value={"values": [KeyValue(key=k, value=v)
                                                          for k, v in kvs]}))
        return arrays | kvlists

    return st.recursive(scalars, nest, max_leaves=30)


any_values = _any_values()
attribute_lists = st.lists(
    st.builds(KeyValue, key=st.text(max_size=20), value=any_values), max_size=6
) | st.just(key_values({f"k{i}": i for i in range(200)}))


spans = st.builds(
    Span,
    trace_id=ids,
    span_id=span_ids,
    parent_span_id=span_ids,
    name=texts,
    kind=st.integers(0, 9),
    start_time_unix_nano=timestamps,
    end_time_unix_nano=timestamps,
    attributes=attribute_lists,
    events=st.lists(st.builds(Span.Event, time_unix_nano=timestamps, name=texts,
                              attributes=attribute_lists), max_size=2),
    links=st.lists(st.builds(Span.Link, trace_id=ids, span_id=span_ids), max_size=2),
    status=st.builds(dict, code=st.integers(0, 5), message=texts),
)


def _span_is_valid(span: Span) -> bool:
    # a span needs its own ids (not all zero); its parent's may be empty
    ok_id = len(span.trace_id) == 16 and len(span.span_id) == 8
    ok_id = ok_id and any(span.trace_id) and any(span.span_id)
    ok_id = ok_id and len(span.parent_span_id) in (0, 8)
    ok_links = all(len(x.trace_id) in (0, 16) and len(x.span_id) in (0, 8) for x in span.links)
    ok_time = max(span.start_time_unix_nano, span.end_time_unix_nano,
                  *(e.time_unix_nano for e in span.events)) <= MAX_TIMESTAMP_NS
    return ok_id and ok_links and ok_time


def _convert(signal: str, body: bytes, content_type: str, encoding: str | None) -> None:
    try:
        request = decode_request(body, content_type, encoding, signal, LIMIT)  # type: ignore[arg-type]
    except IngestHttpError as exc:
        assert exc.status in (400, 413, 415)
        return
    result = CONVERTERS[signal](request, NoScrub())
    _check_shape(result)


def _check_shape(result: ConvertResult) -> None:
    assert result.rows == sum(batch.rows for batch in result.batches)
    for batch in result.batches:
        assert batch.columns == t.INSERT_COLUMNS[batch.table]
        assert {len(column) for column in batch.data} == {batch.rows}
    assert (result.rejected == 0) == (result.error_message == "")


@settings(max_examples=300, deadline=None)
@given(signal=SIGNALS, body=st.binary(max_size=300),
       content_type=st.sampled_from([PROTOBUF, JSON, "text/plain"]),
       encoding=st.sampled_from([None, "gzip", "deflate", "br"]))
def test_random_bytes_only_raise_typed_errors(
    signal: str, body: bytes, content_type: str, encoding: str | None
) -> None:
    _convert(signal, body, content_type, encoding)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "name",
                         "attributes", "key", "value", "stringValue", "kind", "resourceLogs",
                         "scopeLogs", "logRecords", "body", "resourceMetrics", "scopeMetrics",
                         "metrics", "gauge", "dataPoints", "asInt", "x"]),
        children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(signal=SIGNALS, document=json_values)
def test_random_json_only_raises_typed_errors(signal: str, document: Any) -> None:
    _convert(signal, json.dumps(document).encode(), JSON, None)


@settings(max_examples=100, deadline=None)
@given(batch=st.lists(spans, max_size=6), cut=st.integers(0, 10_000), gzipped=st.booleans())
def test_truncated_protobuf_only_raises_typed_errors(
    batch: list[Span], cut: int, gzipped: bool
) -> None:
    body = _traces(batch).SerializeToString()
    body = body[: cut % (len(body) + 1)]
    _convert("traces", gzip.compress(body) if gzipped else body, PROTOBUF, None)


def _traces(batch: list[Span]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend(key_values({"service.name": "fuzz"}))
    rs.scope_spans.add().spans.extend(batch)
    return request


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(spans, max_size=8))
def test_valid_spans_are_never_lost(batch: list[Span]) -> None:
    request = decode_request(_traces(batch).SerializeToString(), PROTOBUF, None, "traces", 1 << 24)
    result = convert_traces(request, NoScrub())
    _check_shape(result)
    assert result.rows + result.rejected == len(batch)
    valid = [span for span in batch if _span_is_valid(span)]
    assert result.rows == len(valid)
    if valid:
        (out,) = result.batches
        starts = out.data[t.TRACES_COLUMNS.index("Timestamp")]
        assert starts == [span.start_time_unix_nano for span in valid]


log_records = st.builds(
    LogRecord,
    time_unix_nano=timestamps,
    observed_time_unix_nano=timestamps,
    trace_id=ids,
    span_id=span_ids,
    severity_number=st.integers(0, 30),
    flags=st.integers(0, 2**32 - 1),
    body=any_values,
    attributes=attribute_lists,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(log_records, max_size=8))
def test_valid_log_records_are_never_lost(records: list[LogRecord]) -> None:
    request = ExportLogsServiceRequest()
    request.resource_logs.add().scope_logs.add().log_records.extend(records)
    result = convert_logs(decode_request(
        request.SerializeToString(), PROTOBUF, None, "logs", 1 << 24), NoScrub())
    _check_shape(result)
    valid = [r for r in records if len(r.trace_id) in (0, 16) and len(r.span_id) in (0, 8)
             and (r.time_unix_nano or r.observed_time_unix_nano) <= MAX_TIMESTAMP_NS]
    assert (result.rows, result.rejected) == (len(valid), len(records) - len(valid))


exemplars = st.builds(pb.Exemplar, time_unix_nano=timestamps, trace_id=ids, span_id=span_ids,
                      as_double=st.floats(), filtered_attributes=attribute_lists)
number_points = st.builds(pb.NumberDataPoint, start_time_unix_nano=timestamps,
                          time_unix_nano=timestamps, as_int=st.integers(-(2**63), 2**63 - 1),
                          exemplars=st.lists(exemplars, max_size=2), attributes=attribute_lists,
                          flags=st.integers(0, 2**32 - 1))
metrics = st.one_of(
    st.builds(pb.Metric, name=texts, gauge=st.builds(
        pb.Gauge, data_points=st.lists(number_points, max_size=3))),
    st.builds(pb.Metric, name=texts, sum=st.builds(
        pb.Sum, data_points=st.lists(number_points, max_size=3),
        aggregation_temporality=st.integers(0, 2), is_monotonic=st.booleans())),
    st.builds(pb.Metric, name=texts, histogram=st.builds(pb.Histogram, data_points=st.lists(
        st.builds(pb.HistogramDataPoint, time_unix_nano=timestamps, count=uint64,
                  bucket_counts=st.lists(uint64, max_size=4),
                  explicit_bounds=st.lists(st.floats(), max_size=3)), max_size=3))),
    st.builds(pb.Metric, name=texts, exponential_histogram=st.builds(
        pb.ExponentialHistogram, data_points=st.lists(st.builds(
            pb.ExponentialHistogramDataPoint, time_unix_nano=timestamps,
            scale=st.integers(-(2**31), 2**31 - 1), zero_count=uint64,
            positive=st.builds(pb.ExponentialHistogramDataPoint.Buckets,
                               offset=st.integers(-(2**31), 2**31 - 1),
                               bucket_counts=st.lists(uint64, max_size=3))), max_size=3))),
    st.builds(pb.Metric, name=texts, summary=st.builds(pb.Summary, data_points=st.lists(
        st.builds(pb.SummaryDataPoint, time_unix_nano=timestamps, count=uint64,
                  quantile_values=st.lists(st.builds(
                      pb.SummaryDataPoint.ValueAtQuantile, quantile=st.floats(),
                      value=st.floats()), max_size=3)), max_size=3))),
    st.builds(pb.Metric, name=texts),
)


def _metrics_request(batch: list[pb.Metric]) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    request.resource_metrics.add().scope_metrics.add().metrics.extend(batch)
    return request


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(metrics, max_size=5))
def test_metric_points_are_converted_or_counted(batch: list[pb.Metric]) -> None:
    request = decode_request(
        _metrics_request(batch).SerializeToString(), PROTOBUF, None, "metrics", 1 << 24)
    result = convert_metrics(request, NoScrub())
    _check_shape(result)
    points = sum(len(getattr(m, kind).data_points) if (kind := m.WhichOneof("data")) else 1
                 for m in batch)
    assert result.rows + result.rejected == points


@pytest.fixture()
def migrated(store: Store, settings: Settings) -> Store:
    migrate(store, settings)
    return store


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(span_batch=st.lists(spans, max_size=4), records=st.lists(log_records, max_size=4),
       metric_batch=st.lists(metrics, max_size=4))
def test_the_engine_accepts_every_converted_row(
    migrated: Store, span_batch: list[Span], records: list[LogRecord],
    metric_batch: list[pb.Metric],
) -> None:
    logs = ExportLogsServiceRequest()
    logs.resource_logs.add().scope_logs.add().log_records.extend(records)
    results = [
        convert_traces(_traces(span_batch), NoScrub()),
        convert_logs(logs, NoScrub()),
        convert_metrics(_metrics_request(metric_batch), NoScrub()),
    ]
    for result in results:
        for batch in result.batches:
            migrated.insert(batch.table, batch.columns, batch.data, column_oriented=True)
