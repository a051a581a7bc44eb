"""Request shapes as OTLP protobuf messages, built directly (no SDK) for bulk history.

The SDK stamps spans with the real clock and exports a few hundred at a time; back-dated history
needs explicit timestamps and batches of thousands, so it is encoded here. Requests are grouped by
(app, version): one ResourceSpans / ResourceLogs per running version, as an SDK would send them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ScopeSpans, Span, Status

from vigie.loadgen.model import AttrValue, Kind, RequestShape

SCOPE_NAME = "vigie.loadgen"
SCOPE_VERSION = "1"
_SAMPLED = 1
T = TypeVar("T")
_KINDS = {Kind.SERVER: Span.SPAN_KIND_SERVER, Kind.CLIENT: Span.SPAN_KIND_CLIENT}


def _value(v: AttrValue) -> AnyValue:
    # bool before int: True is an int to Python, not to OTLP.
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    return AnyValue(string_value=v)


def _attributes(attrs: Mapping[str, AttrValue]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in attrs.items()]


def _by_resource(requests: Iterable[RequestShape]) -> dict[tuple[str, str], list[RequestShape]]:
    groups: dict[tuple[str, str], list[RequestShape]] = {}
    for r in requests:
        groups.setdefault((r.app.key, r.version), []).append(r)
    return groups


def _resource(request: RequestShape) -> Resource:
    return Resource(attributes=_attributes(request.app.resource(request.version)))


def _scope() -> InstrumentationScope:
    return InstrumentationScope(name=SCOPE_NAME, version=SCOPE_VERSION)


def _grouped(
    requests: Iterable[RequestShape], items: Callable[[RequestShape], list[T]]
) -> Iterator[tuple[Resource, list[T]]]:
    """Per (app, version): its resource and the items (spans, log records) of its requests."""
    for group in _by_resource(requests).values():
        yield _resource(group[0]), [item for r in group for item in items(r)]


def _spans(r: RequestShape) -> list[Span]:
    trace_id = r.trace_id.to_bytes(16, "big")
    spans: list[Span] = []
    for s in r.spans:
        start = r.start_ns + s.offset_ns
        spans.append(
            Span(
                trace_id=trace_id,
                span_id=s.span_id.to_bytes(8, "big"),
                parent_span_id=(
                    b"" if s.parent is None else r.spans[s.parent].span_id.to_bytes(8, "big")
                ),
                flags=_SAMPLED,
                name=s.name,
                kind=_KINDS[s.kind],
                start_time_unix_nano=start,
                end_time_unix_nano=start + s.duration_ns,
                attributes=_attributes(s.attributes),
                status=(
                    Status()
                    if s.error is None
                    else Status(code=Status.STATUS_CODE_ERROR, message=s.error)
                ),
            )
        )
    return spans


def _log_records(r: RequestShape) -> list[LogRecord]:
    trace_id = r.trace_id.to_bytes(16, "big")
    records: list[LogRecord] = []
    for log in r.logs:
        at = r.start_ns + log.offset_ns
        records.append(
            LogRecord(
                time_unix_nano=at,
                observed_time_unix_nano=at,
                severity_number=log.severity.value,  # type: ignore[arg-type]
                severity_text=log.severity.name,
                body=AnyValue(string_value=log.body),
                attributes=_attributes(log.attributes),
                trace_id=trace_id,
                span_id=r.spans[log.span].span_id.to_bytes(8, "big"),
                flags=_SAMPLED,
            )
        )
    return records


def encode_traces(requests: Iterable[RequestShape]) -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    for resource, spans in _grouped(requests, _spans):
        resource_spans = message.resource_spans.add(resource=resource)
        resource_spans.scope_spans.append(ScopeSpans(scope=_scope(), spans=spans))
    return message


def encode_logs(requests: Iterable[RequestShape]) -> ExportLogsServiceRequest:
    message = ExportLogsServiceRequest()
    for resource, records in _grouped((r for r in requests if r.logs), _log_records):
        resource_logs = message.resource_logs.add(resource=resource)
        resource_logs.scope_logs.append(ScopeLogs(scope=_scope(), log_records=records))
    return message
