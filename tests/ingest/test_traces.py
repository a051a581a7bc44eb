from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from tests.ingest.otlp import key_values

from vigie.ingest.decode import PROTOBUF, decode_request
from vigie.ingest.rows import NoScrub, TableBatch
from vigie.ingest.traces import MAX_EVENTS, convert_traces
from vigie.settings import Settings
from vigie.store import Store
from vigie.store import tables as t
from vigie.store.migrations import migrate


def _sdk_spans() -> tuple[Message, list[Any]]:
    exporter = InMemorySpanExporter()
    resource = Resource.create({"service.name": "billets", "club": "cedille"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("vigie.tests", "1.2.3")
    linked = SpanContext(
        0x0AF7651916CD43DD8448EB211C80319C, 0x00F067AA0BA902B7, False, TraceFlags(1)
    )
    with tracer.start_as_current_span(
        "GET /billets/{id}",
        kind=SpanKind.SERVER,
        attributes={
            "http.response.status_code": 500, "ok": False, "ratio": 0.25, "tags": ["a", "b"]
        },
        links=[Link(linked, {"why": "retry"})],
    ) as span:
        span.add_event("db.query", {"rows": 3})
        span.set_status(Status(StatusCode.ERROR, "boom"))
        with tracer.start_as_current_span("child"):
            pass
    finished = exporter.get_finished_spans()
    request = encode_spans(finished)
    body = request.SerializeToString()
    return decode_request(body, PROTOBUF, None, "traces", 1 << 20), list(finished)


def _rows(batch: TableBatch) -> list[dict[str, Any]]:
    return [dict(zip(batch.columns, row, strict=True)) for row in zip(*batch.data, strict=True)]


def test_sdk_spans_convert_to_exporter_values() -> None:
    request, finished = _sdk_spans()
    result = convert_traces(request, NoScrub())
    assert (result.rows, result.rejected, result.truncated) == (2, 0, 0)
    (batch,) = result.batches
    assert batch.table == t.TRACES and batch.columns == t.TRACES_COLUMNS
    rows = {r["SpanName"]: r for r in _rows(batch)}
    sdk = {s.name: s for s in finished}
    server, child = rows["GET /billets/{id}"], rows["child"]
    ctx = sdk["GET /billets/{id}"].context
    assert server["TraceId"] == format(ctx.trace_id, "032x")
    assert server["SpanId"] == format(ctx.span_id, "016x")
    assert server["ParentSpanId"] == ""
    assert child["ParentSpanId"] == server["SpanId"]
    sdk_server = sdk["GET /billets/{id}"]
    assert server["Timestamp"] == sdk_server.start_time
    assert server["Duration"] == sdk_server.end_time - sdk_server.start_time
    assert (server["SpanKind"], child["SpanKind"]) == ("Server", "Internal")
    assert (server["StatusCode"], server["StatusMessage"]) == ("Error", "boom")
    assert child["StatusCode"] == "Unset"
    assert server["ServiceName"] == "billets"
    assert server["ResourceAttributes"]["club"] == "cedille"
    assert (server["ScopeName"], server["ScopeVersion"]) == ("vigie.tests", "1.2.3")
    assert server["SpanAttributes"] == {
        "http.response.status_code": "500",
        "ok": "false",
        "ratio": "0.25",
        "tags": '["a","b"]',
    }
    assert server["Events.Name"] == ["db.query"]
    assert server["Events.Attributes"] == [{"rows": "3"}]
    assert server["Links.TraceId"] == ["0af7651916cd43dd8448eb211c80319c"]
    assert server["Links.SpanId"] == ["00f067aa0ba902b7"]
    assert server["Links.Attributes"] == [{"why": "retry"}]


def _request(*spans: Span) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend(key_values({"service.name": "s"}))
    rs.scope_spans.add().spans.extend(spans)
    return request


def _span(name: str, **fields: Any) -> Span:
    base: dict[str, Any] = {
        "trace_id": bytes(range(1, 17)),
        "span_id": bytes(range(1, 9)),
        "start_time_unix_nano": 1_700_000_000_000_000_000,
        "end_time_unix_nano": 1_700_000_000_500_000_000,
    }
    base.update(fields)
    return Span(name=name, **base)


def test_bad_spans_are_rejected_one_by_one() -> None:
    request = _request(
        _span("good"),
        _span("short trace id", trace_id=b"\x01" * 15),
        _span("long span id", span_id=b"\x01" * 9),
        _span("bad parent", parent_span_id=b"\x01"),
        _span("zero ids", trace_id=bytes(16), span_id=bytes(8)),
        _span("empty span id", span_id=b""),  # accepted before: OTLP requires one
        _span("empty trace id", trace_id=b""),
        _span("year 2300", start_time_unix_nano=2**63),
        _span("bad event", events=[Span.Event(name="e", time_unix_nano=2**64 - 1)]),
        _span("bad link", links=[Span.Link(trace_id=b"\x01" * 3, span_id=b"\x01" * 8)]),
        _span("also good", kind=3),
    )
    result = convert_traces(request, NoScrub())
    assert (result.rows, result.rejected) == (2, 9)
    names = result.batches[0].data[t.TRACES_COLUMNS.index("SpanName")]
    assert names == ["good", "also good"]
    assert "9 spans rejected" in result.error_message
    assert "16 bytes" in result.error_message and "2262" in result.error_message


def test_edge_values_follow_the_exporter() -> None:
    request = _request(
        _span("zero ids", parent_span_id=bytes(8)),
        _span("empty ids", parent_span_id=b"", kind=42),
        _span("ends before start", start_time_unix_nano=10, end_time_unix_nano=5),
    )
    request.resource_spans[0].ClearField("resource")
    result = convert_traces(request, NoScrub())
    rows = {r["SpanName"]: r for r in _rows(result.batches[0])}
    assert rows["zero ids"]["ParentSpanId"] == rows["empty ids"]["ParentSpanId"] == ""
    assert rows["empty ids"]["SpanKind"] == ""
    assert rows["ends before start"]["Duration"] == 0
    assert rows["zero ids"]["ServiceName"] == "" and rows["zero ids"]["ResourceAttributes"] == {}


def test_events_beyond_the_cap_are_dropped_and_counted() -> None:
    events = [Span.Event(name=f"e{i}", time_unix_nano=i) for i in range(MAX_EVENTS + 3)]
    result = convert_traces(_request(_span("busy", events=events)), NoScrub())
    (row,) = _rows(result.batches[0])
    assert len(row["Events.Name"]) == MAX_EVENTS
    assert result.truncated == 1 and result.rejected == 0


class _Redact:
    def scrub_text(self, text: str) -> str:
        return text.replace("alice@example.org", "<email>")

    def scrub_attribute(self, key: str, value: str) -> str:
        return self.scrub_text(value)


def test_scrubber_sees_names_messages_and_every_attribute() -> None:
    email = "alice@example.org"
    span = _span(
        f"login {email}",
        attributes=key_values({"user": email}),
        events=[Span.Event(name=f"mail to {email}", attributes=key_values({"to": email}))],
        links=[
            Span.Link(trace_id=bytes(16), span_id=bytes(8), attributes=key_values({"by": email}))
        ],
        status={"code": 2, "message": f"no such user {email}"},
    )
    request = _request(span)
    request.resource_spans[0].resource.attributes.extend(key_values({"owner": email}))
    result = convert_traces(request, _Redact())
    (row,) = _rows(result.batches[0])
    assert email not in repr(row)
    assert row["SpanName"] == "login <email>"


def test_rows_insert_into_the_exporter_table(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    request, _ = _sdk_spans()
    (batch,) = convert_traces(request, NoScrub()).batches
    store.insert(batch.table, batch.columns, batch.data, column_oriented=True)
    got = store.query(
        "SELECT SpanName, SpanKind, StatusCode, toUnixTimestamp64Nano(Timestamp), Duration,"
        " SpanAttributes['ratio'], Events.Name, Links.TraceId, TraceId,"
        " arrayMap(x -> toUnixTimestamp64Nano(x), Events.Timestamp)"
        f" FROM {t.TRACES} ORDER BY SpanName"
    ).rows
    expected = sorted(
        zip(*(batch.data[t.TRACES_COLUMNS.index(c)] for c in (
            "SpanName", "SpanKind", "StatusCode", "Timestamp", "Duration")), strict=True)
    )
    assert [row[:5] for row in got] == expected
    assert got[0][5:8] == ("0.25", ["db.query"], ["0af7651916cd43dd8448eb211c80319c"])
    assert all(len(row[8]) == 32 for row in got)
    server = batch.data[t.TRACES_COLUMNS.index("SpanName")].index("GET /billets/{id}")
    assert got[0][9] == batch.data[t.TRACES_COLUMNS.index("Events.Timestamp")][server]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_an_attribute_that_does_not_parse_costs_its_span_only() -> None:
    value = _field(1, b"bottom")  # AnyValue.string_value
    for _ in range(80):  # AnyValue.array_value(ArrayValue.values(...)): past the depth limit
        value = _field(5, _field(1, value))
    deep = _field(1, b"deep") + _field(2, value)
    not_utf8 = _field(1, b"k") + _field(2, _field(1, b"\xc3\x28"))
    request = decode_request(_request(_span("a"), _span("b"), _span("c")).SerializeToString(),
                             PROTOBUF, None, "traces", 1 << 20)
    spans = request.resource_spans[0].scope_spans[0].spans  # type: ignore[attr-defined]
    spans[0].attributes.append(deep)
    spans[2].attributes.append(not_utf8)
    result = convert_traces(request, NoScrub())
    assert (result.rows, result.rejected) == (1, 2)
    assert result.batches[0].data[t.TRACES_COLUMNS.index("SpanName")] == ["b"]
    assert "does not parse" in result.error_message


def test_a_resource_attribute_that_does_not_parse_costs_every_span_of_that_resource() -> None:
    message = _request(_span("a"), _span("b"))
    message.resource_spans[0].scope_spans.add().spans.append(_span("c"))
    message.resource_spans.add().scope_spans.add().spans.append(_span("kept"))
    request = decode_request(message.SerializeToString(), PROTOBUF, None, "traces", 1 << 20)
    not_utf8 = _field(1, b"k") + _field(2, _field(1, b"\xc3\x28"))
    request.resource_spans[0].resource.attributes.append(not_utf8)  # type: ignore[attr-defined]
    result = convert_traces(request, NoScrub())
    assert (result.rows, result.rejected) == (1, 3)
    assert result.batches[0].data[t.TRACES_COLUMNS.index("SpanName")] == ["kept"]
    assert result.error_message == (
        "3 spans rejected: resource with an attribute that does not parse "
        "(not UTF-8 or nested too deeply)"
    )
