"""OTLP log records converted to ``otel_logs`` columns as the exporter (v0.161.0) writes them.

Values (``exporter_logs.go``, ``pushLogsData``): ``Timestamp`` is the record's time, or its
observed time when the time is 0; ids are lowercase hex or empty when empty / all zero;
``TraceFlags`` and ``SeverityNumber`` are the low byte of the proto values (Go ``uint8(...)``);
``Body`` is the body's ``AsString()`` (JSON for maps and arrays); ``ServiceName`` is the
resource's ``service.name``; ``EventName`` is the record's event name.

Rows are refused one by one: a trace id that is not 16 bytes or a span id that is not 8 (empty
is fine), a timestamp past 2262-04-11, or an attribute that does not parse. The body is cut at
:data:`~vigie.ingest.anyvalue.MAX_VALUE_CHARS` like attribute values.

Scrubbing: every attribute value (resource, scope, record) through ``scrub_attribute``; the
body through ``scrub_text``.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from vigie.ingest.anyvalue import (
    MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
    BadAttribute,
    Truncations,
    attribute_cache,
    cap,
    render,
    resource_head,
    scrubbed,
)
from vigie.ingest.rows import (
    MAX_TIMESTAMP_NS,
    ConvertResult,
    Rejections,
    Scrubber,
    build_result,
    columns_of,
)
from vigie.ingest.traces import span_hex, trace_hex
from vigie.ingest.wire import as_wire
from vigie.store.tables import LOGS, LOGS_COLUMNS


def convert_logs(request: Message, scrub: Scrubber) -> ConvertResult:
    """Log records of one export request (decoded, or a generated ``ExportLogsServiceRequest``)
    as ``otel_logs`` columns."""
    rows: list[tuple[Any, ...]] = []
    add_row = rows.append
    rejections = Rejections()
    seen = Truncations()
    attrs = attribute_cache(scrub).render
    scrub_text = scrub.scrub_text

    for resource_logs in as_wire(request, "logs").resource_logs:
        head = resource_head(
            attrs,
            resource_logs.resource.attributes,
            (len(scope_logs.log_records) for scope_logs in resource_logs.scope_logs),
            seen,
            rejections,
        )
        if head is None:
            continue
        res_attrs, service = head
        res_url = scrubbed(scrub_text, resource_logs.schema_url, MAX_KEY_CHARS, seen)
        for scope_logs in resource_logs.scope_logs:
            scope = scope_logs.scope
            scope_url = scrubbed(scrub_text, scope_logs.schema_url, MAX_KEY_CHARS, seen)
            scope_name = scrubbed(scrub_text, scope.name, MAX_KEY_CHARS, seen)
            scope_version = scrubbed(scrub_text, scope.version, MAX_KEY_CHARS, seen)
            try:
                scope_attrs = attrs(scope.attributes, seen)
            except BadAttribute as exc:
                for _ in scope_logs.log_records:
                    rejections.add(f"scope with an {exc}")
                continue
            for record in scope_logs.log_records:
                trace_id = record.trace_id
                span_id = record.span_id
                if len(trace_id) not in (0, 16) or len(span_id) not in (0, 8):
                    rejections.add("log record with a trace id not 16 bytes or span id not 8")
                    continue
                ts = record.time_unix_nano or record.observed_time_unix_nano
                if ts > MAX_TIMESTAMP_NS:
                    rejections.add("log record with a timestamp after 2262-04-11")
                    continue
                try:
                    record_attrs = attrs(record.attributes, seen)
                except BadAttribute as exc:
                    rejections.add(f"log record with an {exc}")
                    continue
                body = record.body
                text = body.string_value or render(body)
                if len(text) > MAX_VALUE_CHARS:
                    text = cap(text, MAX_VALUE_CHARS, seen)

                add_row(
                    (
                        ts,
                        trace_hex(trace_id),
                        span_hex(span_id),
                        record.flags & 0xFF,
                        scrubbed(scrub_text, record.severity_text, MAX_KEY_CHARS, seen),
                        record.severity_number & 0xFF,
                        service,
                        scrub_text(text) if text else "",
                        res_url,
                        res_attrs,
                        scope_url,
                        scope_name,
                        scope_version,
                        scope_attrs,
                        record_attrs,
                        scrubbed(scrub_text, record.event_name, MAX_KEY_CHARS, seen),
                    )
                )

    data = columns_of(rows, len(LOGS_COLUMNS))
    return build_result([(LOGS, LOGS_COLUMNS, data)], rejections, seen.count, "log records")
