from __future__ import annotations

import random
import time

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from tests.loadgen.sink import Sink, attrs

from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.live import SdkEmitter, otlp_http, pace
from vigie.loadgen.model import RequestShape, generate_request
from vigie.loadgen.scenarios import Effects

S = 10**9
API = SAMPLE_APPS[1]


def test_pace_emits_each_request_once_it_has_ended() -> None:
    rng = random.Random(1)
    t0 = 1_000 * S
    requests = [
        generate_request(API, t0 + i * S // 10, Effects(API.version), rng) for i in range(50)
    ]
    now = [t0]
    emitted: list[tuple[int, RequestShape]] = []

    def sleep(seconds: float) -> None:
        assert seconds > 0
        now[0] += int(seconds * S)

    count = pace(requests, lambda r: emitted.append((now[0], r)), lambda: now[0], sleep)
    assert count == len(emitted) == len(requests)
    assert sorted(id(r) for _, r in emitted) == sorted(id(r) for r in requests)
    for at, r in emitted:
        assert at >= r.end_ns
    # Not held back: emitted at the first arrival after its end (arrivals are 0.1 s apart).
    assert all(at <= r.end_ns + S // 10 for at, r in emitted)
    assert any(at < r.end_ns + S // 10 - S // 100 for at, r in emitted)


def test_sdk_emitter_sends_spans_and_logs_over_otlp_http(sink: Sink) -> None:
    rng = random.Random(2)
    now = time.time_ns() - 60 * S
    failing = Effects(version="2.2.0", outage_share=1.0)
    healthy = Effects(version=API.version)
    requests = [
        generate_request(API, now + i * S // 100, failing if i % 4 == 0 else healthy, rng)
        for i in range(200)
    ]
    emitter = SdkEmitter(otlp_http(sink.url, 5), timeout_s=5)
    for r in requests:
        emitter.emit(r)
    exported = emitter.close()

    spans = sink.spans()
    assert exported.spans_ok == len(spans) == sum(len(r.spans) for r in requests)
    assert exported.logs_ok == len(sink.records()) == sum(len(r.logs) for r in requests)
    assert exported.spans_failed == exported.logs_failed == 0
    assert all(h["Content-Encoding"] == "gzip" for h in sink.headers)

    # One resource per running version, with the app's attributes.
    versions = {r["service.version"] for r, _ in spans}
    assert versions == {"2.2.0", API.version}
    assert {r["club"] for r, _ in spans} == {"algoets"}

    by_id = {s.span_id: (r, s) for r, s in spans}
    servers = [s for _, s in spans if s.kind == Span.SPAN_KIND_SERVER]
    assert len(servers) == len(requests)
    # The SDK assigns ids; times, names and statuses come from the shapes.
    expected = sorted((r.start_ns, r.end_ns, r.server.name, r.status) for r in requests)
    got = sorted(
        (
            s.start_time_unix_nano,
            s.end_time_unix_nano,
            s.name,
            int(attrs(s.attributes)["http.response.status_code"]),
        )
        for s in servers
    )
    assert got == expected
    for s in servers:
        resource = by_id[s.span_id][0]
        status = int(attrs(s.attributes)["http.response.status_code"])
        assert (status == 503) == (resource["service.version"] == "2.2.0")
        assert (s.status.code == Status.STATUS_CODE_ERROR) == (status >= 500)
    for _, s in spans:
        if s.kind == Span.SPAN_KIND_CLIENT:
            parent = by_id[s.parent_span_id][1]
            assert parent.kind == Span.SPAN_KIND_SERVER and parent.trace_id == s.trace_id
    for _, record in sink.records():
        span = by_id[record.span_id][1]
        assert span.trace_id == record.trace_id and span.kind == Span.SPAN_KIND_SERVER
        if record.severity_text == "ERROR":
            assert span.status.code == Status.STATUS_CODE_ERROR
            assert "exception.type" in attrs(record.attributes)


def test_failed_exports_are_counted() -> None:
    rng = random.Random(3)
    emitter = SdkEmitter(otlp_http("http://127.0.0.1:9", 0.5), timeout_s=0.5)
    emitter.emit(generate_request(API, time.time_ns(), Effects(API.version, outage_share=1), rng))
    exported = emitter.close()
    assert exported.spans_ok == 0 and exported.spans_failed >= 1
    assert exported.logs_failed == 1
