"""The assembled service: spans in through the receiver, pages out to Discord.

The whole path that ``vigie serve`` runs every 30 s — receiver → store → evaluation → incident →
grouping → delivery — driven step by step with a controlled clock, against the fake Discord.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from tests.fakes.discord import FakeDiscord

from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

CHANNELS = ("ADMIN", "ALGOETS", "CEDILLE", "SONIA")


APPS = ("site-web", "api-concours", "wiki", "forge", "portail")


def traffic(minutes: int, failing: str) -> bytes:
    """A server span every 2 s per sample app for the last ``minutes``; ``failing`` answers 503."""
    request = ExportTraceServiceRequest()
    now = time.time_ns()
    for n, app in enumerate(APPS):
        resource_spans = request.resource_spans.add()
        for key, value in (("service.name", app), ("deployment.environment.name", "prod")):
            resource_spans.resource.attributes.append(
                KeyValue(key=key, value=AnyValue(string_value=value))
            )
        code = 503 if app == failing else 200
        spans = resource_spans.scope_spans.add().spans
        for i in range(minutes * 30):
            start = now - (i + 1) * 2_000_000_000
            spans.append(
                Span(
                    trace_id=(n * 10**6 + i).to_bytes(16, "big"),
                    span_id=(n * 10**6 + i + 1).to_bytes(8, "big"),
                    name="GET /",
                    kind=Span.SPAN_KIND_SERVER,
                    start_time_unix_nano=start,
                    end_time_unix_nano=start + 40_000_000,
                    attributes=[
                        KeyValue(key="http.route", value=AnyValue(string_value="/")),
                        KeyValue(key="http.response.status_code", value=AnyValue(int_value=code)),
                    ],
                    status=Status(code=Status.STATUS_CODE_ERROR if code >= 500 else 0),
                )
            )
    return request.SerializeToString()


def test_an_outage_pages_its_captain_and_the_admins_only(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    now = [datetime.now(UTC)]
    with FakeDiscord() as discord:
        hooks = {name: discord.webhook() for name in CHANNELS}
        environ = {f"VIGIE_DISCORD_{name}": discord.url(hook) for name, hook in hooks.items()}
        app = create_app(settings, store, environ=environ, clock=lambda: now[0], schedule=False)
        with TestClient(app) as client:
            answer = client.post(
                "/v1/traces",
                content=traffic(minutes=10, failing="site-web"),
                headers={"Content-Type": "application/x-protobuf"},
            )
            assert answer.status_code == 200
            runtime = app.state.runtime
            runtime.write_queue.flush()
            runtime.after_evaluation(runtime.evaluator.evaluate(now[0]))
            now[0] += timedelta(seconds=31)  # past the default group_wait of 30 s
            runtime.after_evaluation(runtime.evaluator.evaluate(now[0]))
            assert runtime.delivery.drain(20)

    club = [json.dumps(p, ensure_ascii=False) for p in hooks["ALGOETS"].posts]
    admins = [json.dumps(p, ensure_ascii=False) for p in hooks["ADMIN"].posts]
    assert len(club) == 1 and len(admins) == 1
    assert "site-web" in club[0] and "site-web" in admins[0]
    assert hooks["ALGOETS"].posts[0]["allowed_mentions"]["users"] == ["412345678901234567"]
    assert "<@412345678901234567>" in hooks["ALGOETS"].posts[0]["content"]
    assert not hooks["CEDILLE"].posts and not hooks["SONIA"].posts
    assert all(not hook.rejected and not hook.throttled for hook in hooks.values())
