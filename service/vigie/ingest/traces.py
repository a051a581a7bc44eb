"""OTLP spans converted to ``otel_traces`` columns, as the contrib v0.161.0 exporter writes them.

Values (``exporter_traces.go``, ``pushTraceData``): ``Timestamp`` is the span start;
``TraceId``/``SpanId``/``ParentSpanId`` are lowercase hex, or empty when the id is empty or all
zero (``traceutil.*ToHexOrEmptyString``); ``SpanKind`` and ``StatusCode`` are pdata's
``String()`` names (``Server``, ``Error``, ...; an unknown number gives an empty string);
``ServiceName`` is the resource's ``service.name`` as a string; ``Duration`` is end - start in
nanoseconds; events and links are parallel arrays.

Rows are refused one by one, keeping the rest of the request: a span without a valid trace id
(16 bytes, not all zero) and span id (8 bytes, not all zero), which OTLP requires; a parent or
link id of the wrong length (empty is allowed, as the exporter writes it); a
timestamp past what ``DateTime64(9)`` holds (2262-04-11), an attribute that does not parse
(not UTF-8, nested too deeply). Deviation from the exporter, whose uint64 arithmetic would
wrap: a span ending before it starts gets ``Duration`` 0. Only the first :data:`MAX_EVENTS`
events and :data:`MAX_LINKS` links of a span are kept (counted as truncations).

Scrubbing: attribute values of the resource, span, events and links go through
``scrub_attribute``; attribute keys, span names, event names, status messages, scope names and
versions and trace states through ``scrub_text``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf.message import Message

from vigie.ingest.anyvalue import (
    MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
    BadAttribute,
    Truncations,
    attribute_cache,
    cap,
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
from vigie.ingest.wire import as_wire
from vigie.store.tables import TRACES, TRACES_COLUMNS

MAX_EVENTS = 128
MAX_LINKS = 128

# ptrace.SpanKind.String() and ptrace.StatusCode.String() in pdata.
SPAN_KINDS = {
    0: "Unspecified",
    1: "Internal",
    2: "Server",
    3: "Client",
    4: "Producer",
    5: "Consumer",
}
STATUS_CODES = {0: "Unset", 1: "Ok", 2: "Error"}

_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16

_Attrs = Callable[[Sequence[bytes], Truncations], dict[str, str]]


def trace_hex(raw: bytes) -> str:
    """``TraceIDToHexOrEmptyString``: hex, but empty for an all-zero id."""
    text = raw.hex()
    return "" if text == _ZERO_TRACE else text


def span_hex(raw: bytes) -> str:
    text = raw.hex()
    return "" if text == _ZERO_SPAN else text


def convert_traces(request: Message, scrub: Scrubber) -> ConvertResult:
    """Spans of one export request (as :func:`~vigie.ingest.decode.decode_request` returns it,
    or a generated ``ExportTraceServiceRequest``) as ``otel_traces`` columns."""
    # One tuple per row, transposed into columns at the end: one append per row is much
    # cheaper than one per column.
    rows: list[tuple[Any, ...]] = []
    add_row = rows.append
    rejections = Rejections()
    seen = Truncations()
    attrs = attribute_cache(scrub).render
    scrub_text = scrub.scrub_text
    kinds = SPAN_KINDS
    codes = STATUS_CODES

    for resource_spans in as_wire(request, "traces").resource_spans:
        head = resource_head(
            attrs,
            resource_spans.resource.attributes,
            (len(scope_spans.spans) for scope_spans in resource_spans.scope_spans),
            seen,
            rejections,
        )
        if head is None:
            continue
        res_attrs, service = head
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            scope_name = scrubbed(scrub_text, scope.name, MAX_KEY_CHARS, seen)
            scope_version = scrubbed(scrub_text, scope.version, MAX_KEY_CHARS, seen)
            for span in scope_spans.spans:
                trace_id = span.trace_id
                span_id = span.span_id
                parent_id = span.parent_span_id
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                if (
                    len(trace_id) != 16
                    or len(span_id) != 8
                    or len(parent_id) not in (0, 8)
                    or not any(trace_id)
                    or not any(span_id)
                ):
                    rejections.add(
                        "span without a trace id of 16 bytes and a span id of 8 bytes"
                        " (not all zero), or with a parent span id not 8 bytes"
                    )
                    continue
                if start > MAX_TIMESTAMP_NS or end > MAX_TIMESTAMP_NS:
                    rejections.add("span with a timestamp after 2262-04-11")
                    continue
                try:
                    span_attrs = attrs(span.attributes, seen)
                    extras = (
                        _events_links(span, attrs, scrub_text, seen)
                        if span.events or span.links
                        else _NO_EVENTS_LINKS
                    )
                except BadAttribute as exc:
                    rejections.add(f"span with an {exc}")
                    continue
                if isinstance(extras, str):
                    rejections.add(extras)
                    continue

                # Inline trace_hex / span_hex: a call per id shows at this rate.
                trace_text = trace_id.hex()
                span_text = span_id.hex()
                parent_text = parent_id.hex()
                state = span.trace_state
                name = span.name
                if len(name) > MAX_KEY_CHARS:
                    name = cap(name, MAX_KEY_CHARS, seen)
                status = span.status
                message = status.message
                add_row(
                    (
                        start,
                        "" if trace_text == _ZERO_TRACE else trace_text,
                        "" if span_text == _ZERO_SPAN else span_text,
                        "" if parent_text == _ZERO_SPAN else parent_text,
                        scrubbed(scrub_text, state, MAX_VALUE_CHARS, seen),
                        scrub_text(name) if name else "",
                        kinds.get(span.kind, ""),
                        service,
                        res_attrs,
                        scope_name,
                        scope_version,
                        span_attrs,
                        end - start if end >= start else 0,
                        codes.get(status.code, ""),
                        scrub_text(cap(message, MAX_VALUE_CHARS, seen)) if message else "",
                        *extras,
                    )
                )

    data = columns_of(rows, len(TRACES_COLUMNS))
    return build_result([(TRACES, TRACES_COLUMNS, data)], rejections, seen.count, "spans")


# Most spans have neither: share one immutable empty array per column instead of allocating
# seven lists per span (allocation and the garbage collector's passes show in the profile).
_NO_EVENTS_LINKS: tuple[tuple[()], ...] = ((),) * 7


def _events_links(
    span: Any, attrs: _Attrs, scrub_text: Callable[[str], str], seen: Truncations
) -> tuple[Sequence[Any], ...] | str:
    """The span's Events.* and Links.* arrays, or why the span must be refused."""
    events = span.events
    links = span.links
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
        ev_attrs.append(attrs(event.attributes, seen))
    ln_trace: list[str] = []
    ln_span: list[str] = []
    ln_state: list[str] = []
    ln_attrs: list[dict[str, str]] = []
    for link in links:
        if len(link.trace_id) not in (0, 16) or len(link.span_id) not in (0, 8):
            return "span with a link whose trace id is not 16 bytes or span id not 8 bytes"
        ln_trace.append(trace_hex(link.trace_id))
        ln_span.append(span_hex(link.span_id))
        ln_state.append(scrubbed(scrub_text, link.trace_state, MAX_VALUE_CHARS, seen))
        ln_attrs.append(attrs(link.attributes, seen))
    return (ev_ts, ev_name, ev_attrs, ln_trace, ln_span, ln_state, ln_attrs)
