"""No personal data anywhere: every positive case of the PII corpus, sent through the receiver
in every text field of the three signals, leaves no secret in any column of any table.

Fields: resource, scope, span, event, link, log and data point attribute keys and values; scope
names, versions and schema URLs; span, event and metric names; status messages, trace states,
log bodies, severity texts and event names; metric descriptions and units. Then every row of
every table of the database (telemetry and rollups) is read back and searched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric, NumberDataPoint
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from tests.ingest.test_receiver import PROTOBUF, make_app
from tests.ingest.test_scrub import CORPUS, POSITIVES

from vigie.settings import Settings
from vigie.store import Store

# Cases found by their text alone (the others need their attribute key: sent under it).
FREE_TEXT = [case for case in POSITIVES if "key" not in case]
KEYED = [case for case in POSITIVES if "key" in case]
# A secret of one case may be legitimate text of another ("mtremblay" is a user name kept in a
# JSON document, scrubbed as the user part of a URL): those are searched by test_scrub per case.
_KEPT = "\n".join(case.get("expected", case["input"]) for case in CORPUS)
SECRETS = sorted({s for case in POSITIVES for s in case["secrets"] if s not in _KEPT})


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _attributes(text: str, index: int) -> list[KeyValue]:
    """The text as a value, and as a key."""
    return [_kv(f"k{index}", text), _kv(text, "v")]


def _scope(text: str, index: int) -> InstrumentationScope:
    return InstrumentationScope(
        name=text, version=text, attributes=_attributes(text, index)
    )


def _resource(text: str, index: int) -> Resource:
    return Resource(attributes=[_kv("service.name", text), *_attributes(text, index)])


def traces(now: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for index, case in enumerate(FREE_TEXT):
        text = case["input"]
        resource_spans = request.resource_spans.add(
            resource=_resource(text, index), schema_url=text
        )
        scope_spans = resource_spans.scope_spans.add(scope=_scope(text, index), schema_url=text)
        scope_spans.spans.append(
            Span(
                trace_id=(index + 1).to_bytes(16, "big"),
                span_id=(index + 1).to_bytes(8, "big"),
                name=text,
                kind=Span.SPAN_KIND_SERVER,
                trace_state=text,
                start_time_unix_nano=now,
                end_time_unix_nano=now + 1_000,
                attributes=[*_attributes(text, index), _kv("http.route", text)],
                events=[
                    Span.Event(
                        name=text,
                        time_unix_nano=now,
                        attributes=[_kv("exception.message", text), *_attributes(text, index)],
                    )
                ],
                links=[
                    Span.Link(
                        trace_id=b"\x02" * 16,
                        span_id=b"\x03" * 8,
                        trace_state=text,
                        attributes=_attributes(text, index),
                    )
                ],
                status=Status(code=Status.STATUS_CODE_ERROR, message=text),
            )
        )
    keyed = request.resource_spans.add().scope_spans.add()
    keyed.spans.append(
        Span(
            trace_id=b"\x04" * 16,
            span_id=b"\x05" * 8,
            name="keyed",
            start_time_unix_nano=now,
            end_time_unix_nano=now,
            attributes=[_kv(case["key"], case["input"]) for case in KEYED],
        )
    )
    return request


def logs(now: int) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    for index, case in enumerate(FREE_TEXT):
        text = case["input"]
        resource_logs = request.resource_logs.add(
            resource=_resource(text, index), schema_url=text
        )
        scope_logs = resource_logs.scope_logs.add(scope=_scope(text, index), schema_url=text)
        scope_logs.log_records.append(
            LogRecord(
                time_unix_nano=now,
                severity_text=text,
                body=AnyValue(string_value=text),
                attributes=_attributes(text, index),
                event_name=text,
            )
        )
    return request


def metrics(now: int) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    for index, case in enumerate(FREE_TEXT):
        text = case["input"]
        resource_metrics = request.resource_metrics.add(
            resource=_resource(text, index), schema_url=text
        )
        scope_metrics = resource_metrics.scope_metrics.add(
            scope=_scope(text, index), schema_url=text
        )
        point = NumberDataPoint(
            time_unix_nano=now, as_double=1.0, attributes=_attributes(text, index)
        )
        scope_metrics.metrics.append(
            Metric(name=text, description=text, unit=text, gauge=Gauge(data_points=[point]))
        )
    return request


def _strings(value: Any) -> Iterator[str]:
    """Every string a stored value holds (map keys and values, array items)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    else:
        yield str(value)


@pytest.fixture()
def client(settings: Settings, store: Store, sample_config: Path) -> Iterator[TestClient]:
    with TestClient(make_app(settings, store)) as client:
        yield client


def test_no_secret_of_the_corpus_is_stored_anywhere(client: TestClient, store: Store) -> None:
    now = time.time_ns()
    for path, request in (
        ("/v1/traces", traces(now)),
        ("/v1/logs", logs(now)),
        ("/v1/metrics", metrics(now)),
    ):
        answer = client.post(path, content=request.SerializeToString(), headers=PROTOBUF)
        assert answer.status_code == 200, path
        # nothing refused: every case was stored (scrubbed), not dropped
        partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
        assert partial.rejected_spans == 0, partial.error_message
    tables = store.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase()"
        " AND engine NOT LIKE '%View%'"
    ).rows
    searched: dict[str, int] = {}
    leaks = []
    for (table,) in tables:
        rows = store.query(f"SELECT * FROM `{table}`").rows
        searched[table] = len(rows)
        text = "\n".join(s for row in rows for s in _strings(row))
        leaks += [(table, secret) for secret in SECRETS if secret in text]
    assert sorted(set(leaks)) == []
    # the data did land where it was searched for
    assert searched["otel_traces"] == len(FREE_TEXT) + 1
    assert searched["otel_logs"] == searched["otel_metrics_gauge"] == len(FREE_TEXT)
    assert searched["vigie_service_activity"] > 0
    assert len(SECRETS) > 100
