"""OTLP spans converted to ``otel_traces`` columns, as the contrib v0.161.0 exporter writes them.

Values (``exporter_traces.go``, ``pushTraceData``): ``Timestamp`` is the span start;
``TraceId``/``SpanId``/``ParentSpanId`` are lowercase hex, or empty when the id is empty or all
zero (``traceutil.*ToHexOrEmptyString``); ``SpanKind`` and ``StatusCode`` are pdata's
``String()`` names (``Server``, ``Error``, …; an unknown number gives an empty string);
``ServiceName`` is the resource's ``service.name`` as a string; ``Duration`` is end - start in
nanoseconds; events and links are parallel arrays.

Rows are refused one by one, keeping the rest of the request: an id of the wrong length (trace
ids 16 bytes, span ids 8, also in links), or a timestamp past what ``DateTime64(9)`` holds
(2262-04-11). Deviation from the exporter, which would let uint64 arithmetic wrap: a span ending
before it starts gets ``Duration`` 0. Only the first :data:`MAX_EVENTS` events and
:data:`MAX_LINKS` links of a span are kept (counted as truncations).

Scrubbing: attribute values of the resource, span, events and links go through
``scrub_attribute``; span names, event names and status messages through ``scrub_text``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from vigie.ingest.anyvalue import (
    MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
    Truncations,
    attributes,
    cap,
)
from vigie.ingest.rows import (
    MAX_TIMESTAMP_NS,
    ConvertResult,
    Rejections,
    Scrubber,
    build_result,
)
from vigie.store.tables import TRACES, TRACES_COLUMNS

MAX_EVENTS = 128
MAX_LINKS = 128

# ptrace.SpanKind.String() and ptrace.StatusCode.String() in pdata.
SPAN_KINDS = {
    0: "Unspecified", 1: "Internal", 2: "Server", 3: "Client", 4: "Producer", 5: "Consumer"
}
STATUS_CODES = {0: "Unset", 1: "Ok", 2: "Error"}

_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def trace_hex(raw: bytes) -> str:
    """``TraceIDToHexOrEmptyString``: hex, but empty for an all-zero id."""
    text = raw.hex()
    return "" if text == _ZERO_TRACE else text


def span_hex(raw: bytes) -> str:
    text = raw.hex()
    return "" if text == _ZERO_SPAN else text


def convert_traces(request: ExportTraceServiceRequest, scrub: Scrubber) -> ConvertResult:
    """Spans of one export request as ``otel_traces`` columns."""
    data: list[list[Any]] = [[] for _ in TRACES_COLUMNS]
    (c_ts, c_trace, c_span, c_parent, c_state, c_name, c_kind, c_service, c_res_attrs,
     c_scope_name, c_scope_version, c_attrs, c_duration, c_status, c_message,
     c_ev_ts, c_ev_name, c_ev_attrs, c_ln_trace, c_ln_span, c_ln_state, c_ln_attrs) = data
    rejections = Rejections()
    seen = Truncations()
    scrub_attr = scrub.scrub_attribute
    scrub_text = scrub.scrub_text
    kinds = SPAN_KINDS
    codes = STATUS_CODES

    for resource_spans in request.resource_spans:
        res_attrs = attributes(resource_spans.resource.attributes, scrub_attr, seen)
        service = cap(res_attrs.get("service.name", ""), MAX_KEY_CHARS, seen)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            scope_name = cap(scope.name, MAX_KEY_CHARS, seen)
            scope_version = cap(scope.version, MAX_KEY_CHARS, seen)
            for span in scope_spans.spans:
                trace_id = span.trace_id
                span_id = span.span_id
                parent_id = span.parent_span_id
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                if (len(trace_id) not in (0, 16) or len(span_id) not in (0, 8)
                        or len(parent_id) not in (0, 8)):
                    rejections.add("span with a trace id not 16 bytes or a span id not 8 bytes")
                    continue
                if start > MAX_TIMESTAMP_NS or end > MAX_TIMESTAMP_NS:
                    rejections.add("span with a timestamp after 2262-04-11")
                    continue
                extras = _events_links(span, scrub_attr, scrub_text, seen)
                if isinstance(extras, str):
                    rejections.add(extras)
                    continue

                c_ts.append(start)
                c_trace.append(trace_hex(trace_id))
                c_span.append(span_hex(span_id))
                c_parent.append(span_hex(parent_id))
                state = span.trace_state
                c_state.append(cap(state, MAX_VALUE_CHARS, seen) if state else "")
                name = span.name
                if len(name) > MAX_KEY_CHARS:
                    name = cap(name, MAX_KEY_CHARS, seen)
                c_name.append(scrub_text(name) if name else "")
                c_kind.append(kinds.get(span.kind, ""))
                c_service.append(service)
                c_res_attrs.append(res_attrs)
                c_scope_name.append(scope_name)
                c_scope_version.append(scope_version)
                c_attrs.append(attributes(span.attributes, scrub_attr, seen))
                c_duration.append(end - start if end >= start else 0)
                status = span.status
                c_status.append(codes.get(status.code, ""))
                message = status.message
                c_message.append(
                    scrub_text(cap(message, MAX_VALUE_CHARS, seen)) if message else ""
                )
                (ev_ts, ev_name, ev_attrs, ln_trace, ln_span, ln_state, ln_attrs) = extras
                c_ev_ts.append(ev_ts)
                c_ev_name.append(ev_name)
                c_ev_attrs.append(ev_attrs)
                c_ln_trace.append(ln_trace)
                c_ln_span.append(ln_span)
                c_ln_state.append(ln_state)
                c_ln_attrs.append(ln_attrs)

    return build_result([(TRACES, TRACES_COLUMNS, data)], rejections, seen.count, "spans")


def _events_links(
    span: Any, scrub_attr: Any, scrub_text: Any, seen: Truncations
) -> tuple[list[Any], ...] | str:
    """The span's Events.* and Links.* arrays, or why the span must be refused."""
    events = span.events
    links = span.links
    if not events and not links:
        # Fresh lists per row: the batch may later be extended in place by the writer.
        return ([], [], [], [], [], [], [])
    if len(events) > MAX_EVENTS:
        seen.count += 1
        events = events[:MAX_EVENTS]
    if len(links) > MAX_LINKS:
        seen.count += 1
        links = links[:MAX_LINKS]
    ev_ts: list[int] = []
    ev_name: list[str] = []
    ev_attrs: list[dict[str, str]] = []
    for event in events:
        ts = event.time_unix_nano
        if ts > MAX_TIMESTAMP_NS:
            return "span with an event timestamp after 2262-04-11"
        ev_ts.append(ts)
        name = cap(event.name, MAX_KEY_CHARS, seen)
        ev_name.append(scrub_text(name) if name else "")
        ev_attrs.append(attributes(event.attributes, scrub_attr, seen))
    ln_trace: list[str] = []
    ln_span: list[str] = []
    ln_state: list[str] = []
    ln_attrs: list[dict[str, str]] = []
    for link in links:
        if len(link.trace_id) not in (0, 16) or len(link.span_id) not in (0, 8):
            return "span with a link whose trace id is not 16 bytes or span id not 8 bytes"
        ln_trace.append(trace_hex(link.trace_id))
        ln_span.append(span_hex(link.span_id))
        ln_state.append(cap(link.trace_state, MAX_VALUE_CHARS, seen))
        ln_attrs.append(attributes(link.attributes, scrub_attr, seen))
    return (ev_ts, ev_name, ev_attrs, ln_trace, ln_span, ln_state, ln_attrs)
