from __future__ import annotations

import random

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from tests.loadgen.sink import attrs

from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.model import RequestShape, generate_request
from vigie.loadgen.otlp import SCOPE_NAME, encode_logs, encode_traces
from vigie.loadgen.scenarios import Effects

T0 = 1_790_000_000 * 10**9
API = SAMPLE_APPS[1]


def _requests() -> list[RequestShape]:
    rng = random.Random(5)
    out = []
    for i in range(400):
        version = "2.0.4" if i < 200 else API.version
        effects = Effects(version=version, outage_share=0.1)
        out.append(generate_request(API, T0 + i * 10**8, effects, rng))
    return out


def test_traces_round_trip_through_protobuf_bytes() -> None:
    requests = _requests()
    message = ExportTraceServiceRequest.FromString(encode_traces(requests).SerializeToString())
    # One resource per running version.
    versions = [attrs(rs.resource.attributes)["service.version"] for rs in message.resource_spans]
    assert sorted(versions) == ["2.0.4", API.version]
    spans = {
        span.span_id: (attrs(rs.resource.attributes), span)
        for rs in message.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
        if ss.scope.name == SCOPE_NAME
    }
    assert len(spans) == sum(len(r.spans) for r in requests)
    by_id = {r.server.span_id.to_bytes(8, "big"): r for r in requests}
    for resource, span in spans.values():
        assert resource["service.name"] == "api-concours"
        assert resource["k8s.namespace.name"] == "algoets"
        if span.kind == Span.SPAN_KIND_SERVER:
            r = by_id[span.span_id]
            assert span.parent_span_id == b""
            assert span.trace_id == r.trace_id.to_bytes(16, "big")
            assert resource["service.version"] == r.version
            assert span.start_time_unix_nano == r.start_ns
            assert span.end_time_unix_nano == r.end_ns
            a = attrs(span.attributes)
            assert a["http.response.status_code"] == str(r.status)
            expected = Status.STATUS_CODE_ERROR if r.status >= 500 else Status.STATUS_CODE_UNSET
            assert span.status.code == expected
        else:
            assert span.kind == Span.SPAN_KIND_CLIENT
            _, parent = spans[span.parent_span_id]
            assert parent.trace_id == span.trace_id
            assert parent.start_time_unix_nano <= span.start_time_unix_nano
            assert span.end_time_unix_nano <= parent.end_time_unix_nano
    # Integers stay integers on the wire.
    server = next(s for _, s in spans.values() if s.kind == Span.SPAN_KIND_SERVER)
    code = next(kv.value for kv in server.attributes if kv.key == "http.response.status_code")
    assert code.WhichOneof("value") == "int_value"


def test_logs_carry_the_trace_and_span_of_their_request() -> None:
    requests = _requests()
    message = ExportLogsServiceRequest.FromString(encode_logs(requests).SerializeToString())
    records = [r for rl in message.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    assert len(records) == sum(len(r.logs) for r in requests) > 0
    servers = {
        (r.trace_id.to_bytes(16, "big"), r.server.span_id.to_bytes(8, "big")): r for r in requests
    }
    for record in records:
        request = servers[(record.trace_id, record.span_id)]
        assert request.start_ns <= record.time_unix_nano <= request.end_ns
        if record.severity_text == "ERROR":
            assert record.severity_number == 17
            assert request.failed
            assert "exception.type" in attrs(record.attributes)


def test_requests_without_logs_make_no_empty_resource() -> None:
    quiet = [r for r in _requests() if not r.logs]
    assert len(encode_logs(quiet).resource_logs) == 0
