from __future__ import annotations

import gzip
import json
import zlib

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from vigie.errors import IngestError
from vigie.ingest.decode import (
    JSON,
    PROTOBUF,
    MalformedPayload,
    PayloadTooLarge,
    UnsupportedMediaType,
    decode_request,
)

LIMIT = 1 << 20


def _traces(n: int = 2) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for i in range(n):
        spans.append(Span(name=f"s{i}", trace_id=bytes(range(16)), span_id=bytes(range(8)),
                          kind=2, start_time_unix_nano=1_700_000_000_000_000_000 + i))
    return request


def test_protobuf_round_trips() -> None:
    request = _traces()
    got = decode_request(request.SerializeToString(), PROTOBUF, None, "traces", LIMIT)
    assert ExportTraceServiceRequest.FromString(got.SerializeToString()) == request


def test_content_type_parameters_and_case_are_ignored() -> None:
    body = _traces().SerializeToString()
    got = decode_request(body, "Application/X-Protobuf; charset=binary", None, "traces", LIMIT)
    assert len(got.resource_spans[0].scope_spans[0].spans) == 2


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/grpc"])
def test_other_media_types_are_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        decode_request(b"", content_type, None, "traces", LIMIT)
    assert caught.value.status == 415


def test_gzip_deflate_and_sniffed_gzip_are_inflated() -> None:
    body = _traces().SerializeToString()
    for encoded, encoding in [
        (gzip.compress(body), "gzip"),
        (gzip.compress(body), "GZIP"),
        (gzip.compress(body[:10]) + gzip.compress(body[10:]), "gzip"),  # two members
        (zlib.compress(body), "deflate"),
        (zlib.compress(body)[2:-4], "deflate"),  # raw deflate
        (gzip.compress(body), None),  # no header, gzip magic
        (body, "identity"),
    ]:
        got = decode_request(encoded, PROTOBUF, encoding, "traces", LIMIT)
        assert got.SerializeToString() == body


def test_unknown_encoding_is_415() -> None:
    with pytest.raises(UnsupportedMediaType):
        decode_request(b"x", PROTOBUF, "br", "traces", LIMIT)


def test_size_limit_applies_before_and_after_inflating() -> None:
    body = _traces(50).SerializeToString()
    with pytest.raises(PayloadTooLarge) as caught:
        decode_request(body, PROTOBUF, None, "traces", len(body) - 1)
    assert caught.value.status == 413
    decode_request(body, PROTOBUF, None, "traces", len(body))
    with pytest.raises(PayloadTooLarge):
        decode_request(gzip.compress(body), PROTOBUF, "gzip", "traces", len(body) - 1)
    decode_request(gzip.compress(body), PROTOBUF, "gzip", "traces", len(body))


def test_zip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (200 << 20), compresslevel=9)  # 200 MiB of zeros, ~200 KiB
    assert len(bomb) < LIMIT
    with pytest.raises(PayloadTooLarge):
        decode_request(bomb, PROTOBUF, "gzip", "traces", LIMIT)


@pytest.mark.parametrize(
    ("body", "encoding", "what"),
    [
        (gzip.compress(b"abcdef")[:-5], "gzip", "truncated gzip"),
        (b"\x1f\x8bnot gzip at all", "gzip", "invalid gzip"),
        (b"\xff\xff\xff", None, "invalid protobuf"),
        (_traces().SerializeToString()[:-3], None, "invalid protobuf"),
        # field 1 (resource_spans) > field 2 (scope_spans) > field 2 (spans) > 5 (name): not UTF-8
        (b"\x0a\x08\x12\x06\x12\x04\x2a\x02\xc3\x28", None, "invalid protobuf"),
    ],
)
def test_corrupt_bodies_are_400(body: bytes, encoding: str | None, what: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        decode_request(body, PROTOBUF, encoding, "traces", LIMIT)
    assert caught.value.status == 400
    assert what in str(caught.value)


def test_protobuf_nesting_past_the_runtime_limit_is_400() -> None:
    # An AnyValue array nested 150 deep inside a log body.
    inner = b""
    for _ in range(150):
        array = b"\x0a" + _varint(len(inner)) + inner if inner else b""
        inner = b"\x2a" + _varint(len(array)) + array  # AnyValue.array_value = ArrayValue
    record = b"\x2a" + _varint(len(inner)) + inner  # LogRecord.body
    scope_logs = b"\x12" + _varint(len(record)) + record
    resource_logs = b"\x12" + _varint(len(scope_logs)) + scope_logs
    body = b"\x0a" + _varint(len(resource_logs)) + resource_logs
    with pytest.raises(MalformedPayload):
        decode_request(body, PROTOBUF, None, "logs", LIMIT)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


OTLP_JSON = {
    "resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
        "scopeSpans": [{
            "scope": {"name": "lib"},
            "spans": [{
                "traceId": "5B8EFFF798038103D269B633813FC60C",
                "spanId": "EEE19B7EC3C1B174",
                "parentSpanId": "",
                "name": "GET",
                "kind": 2,
                "startTimeUnixNano": "1544712660000000000",
                "endTimeUnixNano": 1544712661000000000,
                "attributes": [{"key": "n", "value": {"intValue": "42"}}],
                "links": [{"traceId": "5b8efff798038103d269b633813fc60c",
                           "spanId": "eee19b7ec3c1b173"}],
                "status": {"code": 2},
                "someFutureField": {"ignored": True},
            }],
        }],
    }],
}


def test_otlp_json_hex_ids_integer_enums_and_int64_strings() -> None:
    body = json.dumps(OTLP_JSON).encode()
    decoded = decode_request(body, JSON, None, "traces", LIMIT)
    got = ExportTraceServiceRequest.FromString(decoded.SerializeToString())
    span = got.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == "5b8efff798038103d269b633813fc60c"
    assert span.span_id.hex() == "eee19b7ec3c1b174"
    assert span.parent_span_id == b""
    assert span.kind == 2 and span.status.code == 2
    assert span.start_time_unix_nano == 1544712660000000000
    assert span.end_time_unix_nano == 1544712661000000000
    assert span.attributes[0].value.int_value == 42
    assert span.links[0].span_id.hex() == "eee19b7ec3c1b173"


def test_otlp_json_lenient_forms_are_accepted() -> None:
    # Enum names and snake_case keys are outside OTLP/JSON but what proto3 JSON parsers read.
    doc = {"resource_spans": [{"scope_spans": [{"spans": [
        {"trace_id": "00" * 16, "kind": "SPAN_KIND_CLIENT", "status": {"code": "STATUS_CODE_OK"}}
    ]}]}]}
    got = decode_request(json.dumps(doc).encode(), JSON, None, "traces", LIMIT)
    span = got.resource_spans[0].scope_spans[0].spans[0]
    assert (span.kind, span.status.code, span.trace_id) == (3, 1, bytes(16))


def test_json_log_body_bytes_stay_base64() -> None:
    doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"bytesValue": "AQI="}, "traceId": "0102030405060708090a0b0c0d0e0f10"}
    ]}]}]}
    decoded = decode_request(json.dumps(doc).encode(), JSON, "identity", "logs", LIMIT)
    got = ExportLogsServiceRequest.FromString(decoded.SerializeToString())
    record = got.resource_logs[0].scope_logs[0].log_records[0]
    assert record.body.bytes_value == b"\x01\x02"
    assert record.trace_id == bytes(range(1, 17))


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"{not json", "invalid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "top level"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}', "not hex"),
        (b'{"resourceSpans": 3}', "invalid OTLP/JSON"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": []}]}]}]}', "invalid"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "-1"}]}]}]}',
         "invalid"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested too deeply"),
    ],
)
def test_bad_json_is_400(body: bytes, what: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        decode_request(body, JSON, None, "traces", 1 << 24)
    assert what in str(caught.value)


def test_errors_are_ingest_errors() -> None:
    assert issubclass(MalformedPayload, IngestError)
    assert issubclass(PayloadTooLarge, IngestError)
    assert issubclass(UnsupportedMediaType, IngestError)


def test_many_gzip_members_inflate_whole() -> None:
    """A body of thousands of tiny gzip members (a cheap way to make naive inflating
    quadratic) decodes to the concatenation of all of them; bench/ingest_memory.py times it."""
    body = _traces(50).SerializeToString()
    members = b"".join(gzip.compress(body[i : i + 3]) for i in range(0, len(body), 3))
    assert members.count(b"\x1f\x8b") >= len(body) // 3
    decoded = decode_request(members, PROTOBUF, "gzip", "traces", LIMIT)
    assert decoded.SerializeToString() == body
    with pytest.raises(MalformedPayload, match="truncated gzip"):
        decode_request(members[:-3], PROTOBUF, "gzip", "traces", LIMIT)
