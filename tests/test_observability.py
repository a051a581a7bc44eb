"""Vigie's own telemetry: JSON logs, and traces and metrics through the OpenTelemetry SDK."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry import metrics, trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from vigie.errors import ConfigError
from vigie.observability import JsonFormatter, check_no_loop
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

# The SDK providers can be installed once per process; every instrument of Vigie is created
# through the API's proxies, so installing them here captures what the service records.
_reader = InMemoryMetricReader()
_spans = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _sdk() -> Iterator[None]:
    metrics.set_meter_provider(MeterProvider(metric_readers=[_reader]))
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_spans))
    trace.set_tracer_provider(provider)
    yield


def _points(name: str) -> list[tuple[dict[str, object], float]]:
    data = _reader.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found += [(dict(p.attributes or {}), p.value) for p in metric.data.data_points]
    return found


def test_receiver_records_requests_rows_queue_and_a_span(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "GET /"
    span.start_time_unix_nano = span.end_time_unix_nano = time.time_ns()  # within the retention
    bad = request.resource_spans[0].scope_spans[0].spans.add()
    bad.trace_id, bad.span_id = b"\x01" * 3, b"\x02" * 8
    with TestClient(create_app(settings, store, schedule=False)) as client:
        answer = client.post(
            "/v1/traces",
            content=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
        )
        assert answer.status_code == 200
        client.app.state.write_queue.flush()  # type: ignore[attr-defined]
    assert ({"signal": "traces", "http.response.status_code": 200}, 1) in _points(
        "vigie.ingest.requests"
    )
    assert ({"signal": "traces"}, 1) in _points("vigie.ingest.rows_accepted")
    assert ({"signal": "traces"}, 1) in _points("vigie.ingest.rows_rejected")
    assert ({"table": "otel_traces"}, 0) in _points("vigie.ingest.queue_rows")
    receive = [s for s in _spans.get_finished_spans() if s.name == "otlp.receive"]
    assert receive and receive[-1].attributes["otlp.rejected"] == 1  # type: ignore[index]


def test_logs_are_json_lines_with_their_extra_fields() -> None:
    record = logging.LogRecord("vigie.x", logging.INFO, __file__, 1, "cycle %s", ("done",), None)
    record.duration_s = 0.25
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "cycle done"
    assert line["duration_s"] == 0.25
    assert line["level"] == "INFO"


def test_self_telemetry_never_exports_into_its_own_receiver() -> None:
    with pytest.raises(ConfigError, match="loop"):
        check_no_loop("http://127.0.0.1:8000", "127.0.0.1", 8000)
    check_no_loop("http://otel-collector:4318", "0.0.0.0", 8000)
