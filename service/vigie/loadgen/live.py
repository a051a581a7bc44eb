"""Live traffic through the OpenTelemetry Python SDK, as an instrumented app would send it.

One TracerProvider and LoggerProvider per running (app, version): the resource is per provider, so
a ``deploy`` scenario brings a second pair up mid-run. Spans and logs go through the batch
processors and the OTLP/HTTP protobuf exporters. Each request is emitted when it ends in real time
(the SDK assigns its own trace and span ids; the shape gives names, times, attributes, status).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import Status, StatusCode

from vigie.loadgen.model import Kind, RequestShape
from vigie.loadgen.otlp import SCOPE_NAME, SCOPE_VERSION

_KINDS = {Kind.SERVER: trace.SpanKind.SERVER, Kind.CLIENT: trace.SpanKind.CLIENT}
# Far above what a --rate of a few hundred requests/s queues between two exports: the batch
# processor drops what does not fit, and dropped spans would silently skew error ratios.
_QUEUE = 50_000
_BATCH = 2_000
_DELAY_MS = 500


@dataclass(slots=True)
class Exported:
    """What the exporters delivered (``ok``) or lost (``failed``), by signal."""

    spans_ok: int = 0
    spans_failed: int = 0
    logs_ok: int = 0
    logs_failed: int = 0


class _CountingSpans(SpanExporter):
    def __init__(self, inner: SpanExporter, tally: Exported, lock: threading.Lock) -> None:
        self._inner, self._tally, self._lock = inner, tally, lock

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self._inner.export(spans)
        with self._lock:
            if result is SpanExportResult.SUCCESS:
                self._tally.spans_ok += len(spans)
            else:
                self._tally.spans_failed += len(spans)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _CountingLogs(LogRecordExporter):
    def __init__(self, inner: LogRecordExporter, tally: Exported, lock: threading.Lock) -> None:
        self._inner, self._tally, self._lock = inner, tally, lock

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result = self._inner.export(batch)
        with self._lock:
            if result is LogRecordExportResult.SUCCESS:
                self._tally.logs_ok += len(batch)
            else:
                self._tally.logs_failed += len(batch)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


Exporters = Callable[[], tuple[SpanExporter, LogRecordExporter]]
"""Makes the span and log exporters of one (app, version) pipeline."""


def otlp_http(
    endpoint: str, timeout_s: float, auth: dict[str, str] | None = None
) -> Exporters:
    """OTLP/HTTP protobuf exporters to ``<endpoint>/v1/traces`` and ``/v1/logs``, gzipped;
    ``auth``: the ingest token's ``Authorization`` header, if any."""
    base = endpoint.rstrip("/")
    headers = {"User-Agent": "vigie-loadgen", **(auth or {})}

    def make() -> tuple[SpanExporter, LogRecordExporter]:
        return (
            OTLPSpanExporter(
                endpoint=f"{base}/v1/traces",
                timeout=timeout_s,
                compression=Compression.Gzip,
                headers=headers,
            ),
            OTLPLogExporter(
                endpoint=f"{base}/v1/logs",
                timeout=timeout_s,
                compression=Compression.Gzip,
                headers=headers,
            ),
        )

    return make


class SdkEmitter:
    """Emit request shapes as SDK spans and log records through batch processors."""

    def __init__(self, exporters: Exporters, timeout_s: float) -> None:
        self._exporters = exporters
        self._timeout_s = timeout_s
        self._providers: dict[tuple[str, str], tuple[TracerProvider, LoggerProvider]] = {}
        self.exported = Exported()
        self._lock = threading.Lock()

    def _pipeline(self, request: RequestShape) -> tuple[TracerProvider, LoggerProvider]:
        key = (request.app.key, request.version)
        if key not in self._providers:
            span_exporter, log_exporter = self._exporters()
            # Resource(...) rather than Resource.create(...): the latter reads OTEL_* variables.
            resource = Resource(request.app.resource(request.version))
            tracer_provider = TracerProvider(resource=resource, sampler=ALWAYS_ON)
            tracer_provider.add_span_processor(
                BatchSpanProcessor(
                    _CountingSpans(span_exporter, self.exported, self._lock),
                    max_queue_size=_QUEUE,
                    schedule_delay_millis=_DELAY_MS,
                    max_export_batch_size=_BATCH,
                    export_timeout_millis=self._timeout_s * 1000,
                )
            )
            logger_provider = LoggerProvider(resource=resource)
            logger_provider.add_log_record_processor(
                BatchLogRecordProcessor(
                    _CountingLogs(log_exporter, self.exported, self._lock),
                    max_queue_size=_QUEUE,
                    schedule_delay_millis=_DELAY_MS,
                    max_export_batch_size=_BATCH,
                    export_timeout_millis=self._timeout_s * 1000,
                )
            )
            self._providers[key] = (tracer_provider, logger_provider)
        return self._providers[key]

    def emit(self, request: RequestShape) -> None:
        tracer_provider, logger_provider = self._pipeline(request)
        tracer = tracer_provider.get_tracer(SCOPE_NAME, SCOPE_VERSION)
        logger = logger_provider.get_logger(SCOPE_NAME, SCOPE_VERSION)
        spans: list[trace.Span] = []
        for shape in request.spans:
            parent = (
                Context()
                if shape.parent is None
                else trace.set_span_in_context(spans[shape.parent])
            )
            span = tracer.start_span(
                shape.name,
                context=parent,
                kind=_KINDS[shape.kind],
                attributes=dict(shape.attributes),
                start_time=request.start_ns + shape.offset_ns,
            )
            if shape.error is not None:
                span.set_status(Status(StatusCode.ERROR, shape.error))
            spans.append(span)
        for log in request.logs:
            logger.emit(
                timestamp=request.start_ns + log.offset_ns,
                context=trace.set_span_in_context(spans[log.span]),
                severity_number=SeverityNumber(log.severity.value),
                severity_text=log.severity.name,
                body=log.body,
                attributes=dict(log.attributes),
            )
        # Children end before their parent, as they would in the app.
        for shape, span in reversed(list(zip(request.spans, spans, strict=True))):
            span.end(end_time=request.start_ns + shape.offset_ns + shape.duration_ns)

    def close(self) -> Exported:
        """Flush and shut every pipeline down (each bounded by the timeout); return the tally."""
        millis = int(self._timeout_s * 1000)
        for tracer_provider, logger_provider in self._providers.values():
            tracer_provider.force_flush(millis)
            logger_provider.force_flush(millis)
            tracer_provider.shutdown()
            logger_provider.shutdown()
        return self.exported


def pace(
    requests: Iterable[RequestShape],
    emit: Callable[[RequestShape], None],
    clock_ns: Callable[[], int],
    sleep: Callable[[float], None],
) -> int:
    """Hand each request to ``emit`` once it has ended by ``clock_ns``; returns the count.

    ``requests`` come ordered by start time; ends are not ordered, hence the heap.
    """
    pending: list[tuple[int, int, RequestShape]] = []
    order = itertools.count()
    emitted = 0

    def wait_until(t_ns: int) -> None:
        delay = t_ns - clock_ns()
        if delay > 0:
            sleep(delay / 1e9)

    def emit_ready(now_ns: int) -> None:
        nonlocal emitted
        while pending and pending[0][0] <= now_ns:
            emit(heapq.heappop(pending)[2])
            emitted += 1

    for request in requests:
        wait_until(request.start_ns)
        heapq.heappush(pending, (request.end_ns, next(order), request))
        emit_ready(clock_ns())
    while pending:
        wait_until(pending[0][0])
        emit_ready(pending[0][0])
    return emitted
