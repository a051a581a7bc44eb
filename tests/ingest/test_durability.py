"""The kill -9 drill: every span the receiver answered 200 survives a crash, exactly once.

A ``vigie serve`` subprocess takes span batches from several concurrent clients; once enough
requests have been acknowledged, it is killed with SIGKILL (no shutdown hook runs), restarted on
the same data directory, stopped, and ``otel_traces`` is read back: each acknowledged span is
there once. Spans whose requests were in flight at the kill may be there or not: their senders
got no 200 and retry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from tests.collector.otelcol import REPO, free_port, read_rows, stop, wait_http_ok

CLIENTS = 4
SPANS_PER_REQUEST = 500
ACKED_BEFORE_KILL = 24  # requests answered 200 before the kill


def span_batch(client: int, request: int) -> tuple[bytes, list[str]]:
    """One request of unique spans; its body and the hex span ids it carries."""
    now = time.time_ns()
    spans = []
    for i in range(SPANS_PER_REQUEST):
        span_id = bytes([client + 1]) + request.to_bytes(4, "big") + i.to_bytes(3, "big")
        spans.append(
            Span(
                trace_id=span_id * 2,
                span_id=span_id,
                name="GET /api/v1/problems/{id}",
                kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=now - 1_000_000,
                end_time_unix_nano=now,
            )
        )
    resource = Resource(
        attributes=[KeyValue(key="service.name", value=AnyValue(string_value="site-web"))]
    )
    body = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    ).SerializeToString()
    return body, [s.span_id.hex() for s in spans]


def start_serve(data_dir: Path, config_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "VIGIE_CLICKHOUSE_DSN": f"chdb://{data_dir}",
        "VIGIE_CLICKHOUSE_DATABASE": "otel",
        "VIGIE_CONFIG_DIR": str(config_dir),
        "VIGIE_INGEST_ANONYMOUS": "true",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vigie.cli", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{base}/readyz", process, log)
    return process, base


def test_spans_answered_200_survive_kill_9_exactly_once(tmp_path: Path) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, tmp_path / part)
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    process, base = start_serve(data_dir, tmp_path, log)
    acked: list[str] = []
    acked_lock = threading.Lock()
    enough = threading.Event()

    def client(number: int) -> None:
        with httpx.Client(timeout=30) as http:
            for request in range(10_000):
                body, span_ids = span_batch(number, request)
                try:
                    answer = http.post(
                        f"{base}/v1/traces",
                        content=body,
                        headers={"Content-Type": "application/x-protobuf"},
                    )
                except httpx.TransportError:
                    return  # killed: this request got no answer
                if answer.status_code != 200:
                    continue  # 429/503: not acknowledged, a real sender would retry
                partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
                assert partial.rejected_spans == 0
                with acked_lock:
                    acked.extend(span_ids)
                    if len(acked) >= ACKED_BEFORE_KILL * SPANS_PER_REQUEST:
                        enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(120), log.read_text()
    finally:
        process.kill()  # SIGKILL: nothing flushes
        process.wait()
        for thread in threads:
            thread.join(60)
    with acked_lock:
        answered = list(acked)

    process, _ = start_serve(data_dir, tmp_path, log)  # the engine recovers its directory
    stop(process, log)
    rows = read_rows(data_dir, {"otel_traces": ["SpanId"]})["otel_traces"]
    stored: dict[str, int] = {}
    for row in rows:
        stored[row["SpanId"]] = stored.get(row["SpanId"], 0) + 1
    missing = [s for s in answered if s not in stored]
    duplicated = [s for s in answered if stored.get(s, 0) > 1]
    assert len(answered) >= ACKED_BEFORE_KILL * SPANS_PER_REQUEST
    assert (len(missing), len(duplicated)) == (0, 0), (missing[:5], duplicated[:5])
