"""The OTLP/HTTP receiver, end to end through the FastAPI app into chdb."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from vigie.errors import StoreUnavailable
from vigie.ingest.anyvalue import MAX_ATTRIBUTES
from vigie.ingest.decode import MalformedPayload, PayloadTooLarge
from vigie.ingest.receiver import read_body
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

PROTOBUF = {"Content-Type": "application/x-protobuf"}
NOW_NS = time.time_ns()


@pytest.fixture(autouse=True)
def _config(sample_config: Path) -> None:
    """The app starts the whole runtime, which reads slo/ and alerts/."""


def make_app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store, schedule=False)


@pytest.fixture()
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(make_app(settings, store)) as client:
        yield client


def sdk_spans(count: int = 3, **resource: str) -> ExportTraceServiceRequest:
    """Spans recorded by the real OpenTelemetry SDK, encoded as its OTLP exporter would."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "site-web", **resource}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    for i in range(count):
        with tracer.start_as_current_span(
            "GET /api/v1/problems/{id}",
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": "GET",
                "http.route": "/api/v1/problems/{id}",
                "http.response.status_code": 500 if i == 0 else 200,
                "url.path": f"/api/v1/problems/{i}",
            },
        ) as span:
            if i == 0:
                span.set_status(Status(StatusCode.ERROR, "boom"))
    return encode_spans(exporter.get_finished_spans())


def flush(client: TestClient) -> None:
    client.app.state.write_queue.flush()  # type: ignore[attr-defined]


def test_sdk_spans_land_with_the_exporter_values(client: TestClient, store: Store) -> None:
    body = sdk_spans().SerializeToString()
    response = client.post("/v1/traces", content=body, headers=PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 0
    # 200 means stored: no flush needed, the rows were inserted before the answer
    assert client.app.state.write_queue.stats.queued_rows == 0  # type: ignore[attr-defined]
    rows = store.query(
        "SELECT ServiceName, SpanKind, StatusCode, SpanAttributes['http.response.status_code'],"
        " Duration > 0, length(TraceId), StatusMessage FROM otel_traces ORDER BY StatusCode"
    ).rows
    assert rows == [
        ("site-web", "Server", "Error", "500", 1, 32, "boom"),
        ("site-web", "Server", "Unset", "200", 1, 32, ""),
        ("site-web", "Server", "Unset", "200", 1, 32, ""),
    ]


def test_json_and_gzip_bodies(client: TestClient, store: Store) -> None:
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "GET /",
        "kind": 2,
        "startTimeUnixNano": str(NOW_NS),
        "endTimeUnixNano": str(NOW_NS + 250_000_000),
        "status": {"code": 2},
    }
    payload = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "wiki"}}]
                },
                "scopeSpans": [{"spans": [span]}],
            }
        ]
    }
    response = client.post(
        "/v1/traces",
        content=gzip.compress(json.dumps(payload).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    flush(client)
    assert store.query("SELECT TraceId, SpanKind, StatusCode, Duration FROM otel_traces").rows == [
        ("5b8efff798038103d269b633813fc60c", "Server", "Error", 250_000_000)
    ]


def test_partial_success_keeps_the_valid_spans(client: TestClient, store: Store) -> None:
    request = sdk_spans(count=3)
    request.resource_spans[0].scope_spans[0].spans[1].trace_id = b"short"
    response = client.post("/v1/traces", content=request.SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "trace id" in answer.partial_success.error_message
    flush(client)
    assert store.query("SELECT count() FROM otel_traces").scalar() == 2


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x0a\xff\xff\xff", PROTOBUF, 400),
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b"<xml/>", {"Content-Type": "application/xml"}, 415),
        (b"\x00" * 64, {**PROTOBUF, "Content-Encoding": "gzip"}, 400),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    client: TestClient, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = client.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == status
    if headers["Content-Type"] == "application/x-protobuf":
        assert status_pb2.Status.FromString(response.content).message


def test_oversized_body_is_413(settings: Settings, store: Store) -> None:
    small = settings.model_copy(update={"ingest_max_body_bytes": 1_000})
    with TestClient(make_app(small, store)) as client:
        body = gzip.compress(sdk_spans(count=50).SerializeToString())
        response = client.post(
            "/v1/traces", content=body, headers={**PROTOBUF, "Content-Encoding": "gzip"}
        )
    assert response.status_code == 413


def test_full_queue_answers_429_with_retry_after(settings: Settings, store: Store) -> None:
    tiny = settings.model_copy(update={"ingest_queue_rows": 4, "ingest_flush_interval_s": 3600.0})
    with TestClient(make_app(tiny, store)) as client:
        body = sdk_spans(count=3).SerializeToString()
        state = client.app.state  # type: ignore[attr-defined]
        # three rows nobody waits for (as a replay queues them) hold the queue
        converted = state.ingest.convert("traces", body, PROTOBUF["Content-Type"], None)
        assert state.write_queue.offer(converted.batches)
        refused = client.post("/v1/traces", content=body, headers=PROTOBUF)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
    # leaving the app flushed what it had accepted
    assert store.query("SELECT count() FROM otel_traces").scalar() == 3


class UnreachableInserts:
    """The real store, except that every insert fails as during a ClickHouse outage."""

    def __init__(self, real: Store) -> None:
        self.real = real

    def insert_raw(self, *args: Any) -> None:
        raise StoreUnavailable("connection refused")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_rows_not_stored_in_time_are_withdrawn_and_answered_503(
    settings: Settings, store: Store
) -> None:
    impatient = settings.model_copy(update={"ingest_write_timeout_s": 0.3})
    app = create_app(impatient, UnreachableInserts(store), schedule=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        body = sdk_spans(count=3).SerializeToString()
        refused = client.post("/v1/traces", content=body, headers=PROTOBUF)
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) >= 1
        # withdrawn: the sender retries them, so they must not be written later as well
        assert client.app.state.write_queue.stats.queued_rows == 0  # type: ignore[attr-defined]


class _Stream:
    """An ASGI ``receive`` handing out ``chunks`` one by one, counting the reads."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.reads = 0

    async def __call__(self) -> dict[str, object]:
        self.reads += 1
        chunk = self.chunks.pop(0) if self.chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}


def _request(stream: _Stream, **headers: str) -> Request:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": raw}, stream)


def test_declared_oversized_body_is_refused_before_any_read() -> None:
    stream = _Stream([b"x" * 100] * 3)
    with pytest.raises(PayloadTooLarge, match="1099511627776 bytes exceeds 1000"):
        asyncio.run(read_body(_request(stream, content_length=str(1 << 40)), 1_000))
    assert stream.reads == 0
    with pytest.raises(MalformedPayload, match="Content-Length"):
        asyncio.run(read_body(_request(_Stream([]), content_length="-5"), 1_000))


def test_streamed_body_is_counted_while_it_arrives() -> None:
    """No Content-Length (chunked): reading stops at the first chunk past the limit."""
    stream = _Stream([b"x" * 400] * 1_000)
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_body(_request(stream), 1_000))
    assert stream.reads == 3  # 1,200 bytes read of 400,000 sent
    # a body within the limit is read whole, even when it lies about nothing
    stream = _Stream([b"ab", b"cd", b"e"])
    assert asyncio.run(read_body(_request(stream, content_length="5"), 5)) == b"abcde"


def test_chunked_oversized_upload_is_413(settings: Settings, store: Store) -> None:
    small = settings.model_copy(update={"ingest_max_body_bytes": 10_000})

    def chunks() -> Iterator[bytes]:
        yield from [b"\x0a" * 4_096] * 100

    with TestClient(make_app(small, store)) as client:
        response = client.post("/v1/traces", content=chunks(), headers=PROTOBUF)
        assert response.status_code == 413
        assert "exceeds 10000 bytes" in status_pb2.Status.FromString(response.content).message
        # the service still takes good data afterwards
        body = sdk_spans().SerializeToString()
        assert client.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 200


def test_partial_success_says_what_was_not_kept(client: TestClient, store: Store) -> None:
    """Rows the tables' TTL would drop at once, spans without ids: refused and counted;
    attributes cut to the limits: kept, with a warning. Nothing acknowledged then lost."""
    now = NOW_NS

    def span(name: str, start: int, span_id: bytes = b"\x01" * 8, attrs: int = 1) -> Span:
        return Span(
            name=name,
            trace_id=b"\x02" * 16,
            span_id=span_id,
            start_time_unix_nano=start,
            end_time_unix_nano=start + 1_000,
            attributes=[
                KeyValue(key=f"k{i}", value=AnyValue(string_value="v")) for i in range(attrs)
            ],
        )

    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(
        [
            span("kept", now),
            span("wide", now, attrs=MAX_ATTRIBUTES + 10),
            span("1970", 1),
            span("2200", 7_258_118_400 * 10**9),
            span("before the retention", now - 31 * 86_400 * 10**9),
            span("no span id", now, span_id=b""),
        ]
    )
    response = client.post("/v1/traces", content=request.SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 4
    reasons = ("span id", "30-day retention", "2106-02-07", "1 values, keys or lists truncated")
    for reason in reasons:
        assert reason in partial.error_message
    stored = store.query("SELECT SpanName, length(SpanAttributes) FROM otel_traces ORDER BY 1")
    assert stored.rows == [("kept", 1), ("wide", MAX_ATTRIBUTES)]
