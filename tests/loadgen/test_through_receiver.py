"""The generator against the real Vigie receiver (FastAPI app, scrubbing, write queue, chdb)."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.history import OtlpPoster, write_history
from vigie.loadgen.live import SdkEmitter, otlp_http
from vigie.loadgen.model import generate_request
from vigie.loadgen.scenarios import Effects, Scenario
from vigie.loadgen.traffic import request_stream
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

H = 3600 * 10**9
DAY = 24 * H


def _flush(app: object) -> None:
    app.state.write_queue.flush()  # type: ignore[attr-defined]


def test_history_lands_in_the_exporter_tables_scrubbed(settings: Settings, store: Store) -> None:
    now = time.time_ns()
    start = now - 2 * DAY
    # site-web and portail have login routes: their failures log e-mails and addresses.
    apps = (SAMPLE_APPS[0], SAMPLE_APPS[4])
    # A slow burn on portail all along, so that failures (and their ERROR logs) are certain.
    burn = (Scenario("outage", "sonia/portail", start, now, share=0.02),)
    requests = list(request_stream(apps, start, now, 0.015, burn, seed=11, daily=True))
    with TestClient(create_app(settings, store, schedule=False)) as client:
        sent = write_history(requests, OtlpPoster(client, "http://testserver", time.sleep), 2000)
        _flush(client.app)
    assert sent.rejected_spans == sent.rejected_logs == 0 and sent.posts >= 2

    (row,) = store.query(
        "SELECT count(), countIf(StatusCode = 'Error'), countIf(SpanKind = 'Server'),"
        " uniqExact(ServiceName), min(Timestamp) < now() - INTERVAL 1 DAY,"
        " countIf(SpanKind = 'Server' AND SpanAttributes['http.route'] = ''),"
        " countIf(ResourceAttributes['club'] = ''),"
        " countIf(SpanAttributes['client.address'] LIKE '142.%')"
        " FROM otel_traces"
    ).rows
    failed_spans = sum(s.error is not None for r in requests for s in r.spans)
    # Some requests carried the client's address: none is stored as sent.
    assert any("client.address" in r.server.attributes for r in requests)
    assert row == (sent.spans, failed_spans, len(requests), 2, 1, 0, 0, 0)

    (logs,) = store.query(
        "SELECT count(), countIf(position(Body, '@etsmtl.ca') > 0),"
        " countIf(Body LIKE 'login failed for [REDACTED:email] from [REDACTED:ip]'),"
        " countIf(SeverityText = 'ERROR'),"
        " countIf(TraceId NOT IN (SELECT TraceId FROM otel_traces))"
        " FROM otel_logs"
    ).rows
    logins = sum(log.body.startswith("login failed") for r in requests for log in r.logs)
    errors = sum(r.failed for r in requests)
    assert logins > 0 and errors > 0
    assert logs == (sent.logs, 0, logins, errors, 0)


@pytest.fixture(autouse=True)
def _config(sample_config: Path) -> None:
    """The app starts the whole runtime, which reads slo/ and alerts/."""


@pytest.fixture()
def served(settings: Settings, store: Store) -> Iterator[tuple[str, object]]:
    """The app on a real socket: the SDK exporter speaks HTTP, not ASGI."""
    app = create_app(settings, store, schedule=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_live_sdk_telemetry_lands_with_parents_and_trace_linked_logs(
    served: tuple[str, object], store: Store
) -> None:
    url, app = served
    api = SAMPLE_APPS[1]
    rng = random.Random(12)
    now = time.time_ns() - 30 * 10**9
    requests = [
        generate_request(api, now + i * 10**7, Effects("2.1.0", outage_share=0.3), rng)
        for i in range(300)
    ]
    emitter = SdkEmitter(otlp_http(url, 5), timeout_s=5)
    for r in requests:
        emitter.emit(r)
    exported = emitter.close()
    assert exported.spans_failed == exported.logs_failed == 0
    with httpx.Client(timeout=5) as check:
        assert check.get(f"{url}/healthz").status_code == 200
    _flush(app)

    (row,) = store.query(
        "SELECT count(), countIf(StatusCode = 'Error' AND SpanKind = 'Server'),"
        " countIf(SpanKind = 'Client' AND ParentSpanId = ''),"
        " countIf(SpanKind = 'Client' AND (TraceId, ParentSpanId) NOT IN"
        "   (SELECT TraceId, SpanId FROM otel_traces WHERE SpanKind = 'Server')),"
        " any(ResourceAttributes['service.version'])"
        " FROM otel_traces"
    ).rows
    assert row == (
        sum(len(r.spans) for r in requests),
        sum(r.failed for r in requests),
        0,
        0,
        "2.1.0",
    )
    (logs,) = store.query(
        "SELECT count(), countIf((TraceId, SpanId) NOT IN"
        "   (SELECT TraceId, SpanId FROM otel_traces)) FROM otel_logs"
    ).rows
    assert logs == (sum(len(r.logs) for r in requests), 0)
