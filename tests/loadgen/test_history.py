from __future__ import annotations

import gzip
import time

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from tests.loadgen.sink import Sink, attrs

from vigie.errors import VigieError
from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.history import OtlpPoster, Sent, write_history
from vigie.loadgen.model import RequestShape
from vigie.loadgen.otlp import encode_traces
from vigie.loadgen.scenarios import past_incidents
from vigie.loadgen.traffic import request_stream

H = 3600 * 10**9
DAY = 24 * H


# 20:00 UTC, mid-afternoon in Montréal: the incidents, anchored on "now", fall in busy hours.
NOW = 497_012 * H
ALGOETS = SAMPLE_APPS[:2]


def _history(days: float, per_second: float, seed: int = 1) -> tuple[int, list[RequestShape]]:
    start = NOW - int(days * DAY)
    stream = request_stream(
        ALGOETS, start, NOW, per_second, past_incidents(NOW, days), seed, daily=True
    )
    return start, list(stream)


def test_history_arrives_back_dated_in_batches_with_traces_and_logs(sink: Sink) -> None:
    start, requests = _history(3.5, 0.02)
    progress: list[int] = []
    with httpx.Client(timeout=5) as client:
        sent = write_history(
            requests,
            OtlpPoster(client, sink.url, time.sleep),
            batch_spans=2000,
            progress=lambda s: progress.append(s.spans),
        )
    spans = sink.spans()
    assert sent.spans == len(spans) == sum(len(r.spans) for r in requests)
    assert sent.logs == len(sink.records()) == sum(len(r.logs) for r in requests)
    assert sent.requests == len(requests)
    assert len(sink.traces) == len(progress) >= 3
    assert progress == sorted(progress) and progress[-1] == sent.spans
    assert all(h["Content-Encoding"] == "gzip" for h in sink.headers)
    assert all(h["Content-Type"] == "application/x-protobuf" for h in sink.headers)
    times = [s.start_time_unix_nano for _, s in spans]
    assert min(times) < start + H and max(times) > NOW - H
    assert all(start <= t < NOW for t in times)
    # The outage of three days ago (2.4 to 3.4 days before now) is there: site-web answered 503.
    outage = [
        s
        for resource, s in spans
        if resource["service.name"] == "site-web"
        and s.kind == Span.SPAN_KIND_SERVER
        and attrs(s.attributes)["http.response.status_code"] == "503"
    ]
    assert outage and all(s.status.code == Status.STATUS_CODE_ERROR for s in outage)
    window = max(s.start_time_unix_nano for s in outage) - min(
        s.start_time_unix_nano for s in outage
    )
    assert window < H
    # api-concours ran 2.0.4 before its deploy five days ago: 3.5 days back, only 2.1.0.
    assert {r["service.version"] for r, _ in spans if r["service.name"] == "api-concours"} == {
        "2.1.0"
    }
    # Error logs point at spans that were received.
    span_keys = {(s.trace_id, s.span_id) for _, s in spans}
    errors = [rec for _, rec in sink.records() if rec.severity_text == "ERROR"]
    assert errors and all((e.trace_id, e.span_id) in span_keys for e in errors)


def test_same_seed_same_history_bytes() -> None:
    a = _history(1, 0.01, seed=8)[1]
    b = _history(1, 0.01, seed=8)[1]
    assert encode_traces(a).SerializeToString() == encode_traces(b).SerializeToString()
    assert encode_traces(a) != encode_traces(_history(1, 0.01, seed=9)[1])


def test_receiver_pushback_is_retried_after_the_delay_it_asks(sink: Sink) -> None:
    sink.refusals += [(503, {"Retry-After": "2"}), (429, {})]
    naps: list[float] = []
    sent = Sent()
    with httpx.Client(timeout=5) as client:
        poster = OtlpPoster(client, sink.url, naps.append)
        poster.post("traces", b"", sent)
    assert naps == [2.0, 1.0]
    assert sent.retries == 2 and sent.posts == 1
    assert len(sink.traces) == 1


def test_rejected_items_are_counted(sink: Sink) -> None:
    sink.reject = 3
    _, requests = _history(0.5, 0.02)
    with httpx.Client(timeout=5) as client:
        sent = write_history(requests, OtlpPoster(client, sink.url, time.sleep), batch_spans=10**6)
    assert sent.rejected_spans == 3
    assert sent.rejected_logs == (3 if sent.logs else 0)


def test_a_refusal_that_retrying_cannot_fix_stops_the_run(sink: Sink) -> None:
    sink.refusals.append((400, {}))
    with httpx.Client(timeout=5) as client, pytest.raises(VigieError, match="answered 400"):
        OtlpPoster(client, sink.url, time.sleep).post("logs", b"", Sent())


def test_giving_up_names_the_last_problem(sink: Sink) -> None:
    sink.refusals += [(503, {})] * 3
    with httpx.Client(timeout=5) as client, pytest.raises(VigieError, match=r"3 attempts.*503"):
        OtlpPoster(client, sink.url, lambda _: None, attempts=3).post("traces", b"", Sent())


def test_unreachable_receiver() -> None:
    with httpx.Client(timeout=1) as client, pytest.raises(VigieError, match="ConnectError"):
        OtlpPoster(client, "http://127.0.0.1:9", lambda _: None, attempts=2).post(
            "traces", gzip.compress(b""), Sent()
        )
