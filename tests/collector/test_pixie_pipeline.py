"""Pixie's exported HTTP spans, through the built collector's transform/pixie (embedded.yaml)
into the service on chdb: they count as the server spans of an app without an SDK, and are
ignored for an app that sends its own spans.

The payload has the shape of Pixie's documented "HTTP Spans" OpenTelemetry export script:
resource ``service.name`` = ``<namespace>/<service>``, ``service.instance.id`` =
``<namespace>/<pod>``, ``k8s.cluster.name``, ``otel.scope.name`` = ``pixie``; SERVER spans named
by the request path, with ``http.status_code`` (int), ``http.method``, ``http.url``,
``http.target``, ``k8s.namespace.name``, ``k8s.pod.name``, ``k8s.deployment.name``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from tests.collector.otelcol import INGEST_TOKEN, REQUIRED_ENV, collector, load, local_endpoints
from tests.collector.test_probe_pipeline import served
from tests.ingest.otlp import key_values

from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

ROWS_TIMEOUT_S = 60.0

# embedded.yaml sends the platform collectors' ingest token; the service knows it.
PLATFORM_TOKEN = {"VIGIE_INGEST_TOKEN_PLATFORM": INGEST_TOKEN}


def pixie_spans(namespace: str, service: str, codes: list[int]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(key_values({
        "service.name": f"{namespace}/{service}",
        "service.instance.id": f"{namespace}/{service}-7c9d-x2k4p",
        "k8s.cluster.name": "cedille",
        "otel.scope.name": "pixie",
    }))
    spans = resource_spans.scope_spans.add().spans
    end = time.time_ns() - 2_000_000_000
    for i, code in enumerate(codes):
        start = end - (i + 1) * 500_000_000
        spans.append(Span(
            trace_id=os.urandom(16), span_id=os.urandom(8), name="/inscription",
            kind=Span.SPAN_KIND_SERVER, start_time_unix_nano=start,
            end_time_unix_nano=start + 30_000_000,
            attributes=key_values({
                "k8s.pod.name": f"{namespace}/{service}-7c9d-x2k4p",
                "k8s.node.name": "omni-worker-1",
                "k8s.deployment.name": f"{namespace}/{service}",
                "k8s.namespace.name": namespace,
                "service": f"{namespace}/{service}", "source": f"{namespace}/{service}-7c9d",
                "application": namespace, "error": code >= 500,
                "http.status_code": code, "http.method": "GET",
                "http.url": f"http://{service}.{namespace}.svc/inscription",
                "http.target": "/inscription",
            }),
        ))
    return request


def sdk_spans(service: str, count: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(key_values({"service.name": service}))
    spans = resource_spans.scope_spans.add().spans
    end = time.time_ns() - 2_000_000_000
    for i in range(count):
        start = end - (i + 1) * 500_000_000
        spans.append(Span(
            trace_id=os.urandom(16), span_id=os.urandom(8), name="GET /",
            kind=Span.SPAN_KIND_SERVER, start_time_unix_nano=start,
            end_time_unix_nano=start + 20_000_000,
            attributes=key_values({"http.response.status_code": 200, "http.route": "/"}),
        ))
    return request


def test_pixie_spans_count_only_for_apps_without_sdk_spans(
    otelcol: Path, settings: Settings, store: Store, sample_config: Path, tmp_path: Path
) -> None:
    now = [datetime.now(UTC)]
    app = create_app(settings, store, environ=PLATFORM_TOKEN, clock=lambda: now[0],
                     schedule=False)
    config = load("embedded.yaml")
    ports = local_endpoints(config)
    (tmp_path / "otelcol").mkdir()
    site_codes = [200] * 150 + [503] * 50
    with served(app) as base_url:
        config["exporters"]["otlp_http/vigie"]["endpoint"] = base_url
        with collector(otelcol, config, tmp_path / "otelcol", REQUIRED_ENV["embedded.yaml"]):
            url = f"http://127.0.0.1:{ports['http']}/v1/traces"
            for request in (
                pixie_spans("site-web-prod", "site-web", site_codes),  # no SDK: Pixie counts
                pixie_spans("wiki", "wiki", [503] * 40),  # the wiki has its SDK: ignored
                sdk_spans("wiki", 120),
            ):
                answer = httpx.post(url, content=request.SerializeToString(), timeout=10,
                                    headers={"Content-Type": "application/x-protobuf"})
                assert answer.status_code == 200
            runtime = app.state.runtime
            deadline = time.monotonic() + ROWS_TIMEOUT_S
            while time.monotonic() < deadline:
                runtime.write_queue.flush()
                if store.query("SELECT count() FROM otel_traces").scalar() >= 360:
                    break
                time.sleep(0.2)
    rows = store.query(
        "SELECT ServiceName, ResourceAttributes['deployment.environment.name'], count() "
        "FROM otel_traces GROUP BY 1, 2 ORDER BY 1"
    ).rows
    assert rows == [("pixie:site-web", "prod", 200), ("pixie:wiki", "", 40), ("wiki", "", 120)]
    now[0] = datetime.now(UTC) + timedelta(minutes=1)  # the spans' minutes are complete
    statuses = {(s.target.app, s.target.name): s.decision
                for s in runtime.evaluator.evaluate(now[0]).statuses}
    site = statuses[("site-web", "availability")]
    assert (site.events_total, site.events_bad) == (200, 50)
    assert site.state == "page"
    wiki = statuses[("wiki", "availability")]
    assert (wiki.events_total, wiki.events_bad) == (120, 0)
