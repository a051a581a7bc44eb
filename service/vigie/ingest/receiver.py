"""OTLP/HTTP receiver: ``POST /v1/traces``, ``/v1/logs``, ``/v1/metrics``.

A 200 means stored: the answer waits until the request's rows are inserted (the write queue's
group commit: requests arriving together share one insert). A request whose rows are not
stored within ``ingest_write_timeout_s`` is withdrawn from the queue and answered 503.

Answers follow the OTLP/HTTP specification: the response body uses the request's encoding
(protobuf or JSON); 200 carries ``partial_success`` when some rows were rejected; a body that
cannot be decoded gets 400 with a ``google.rpc.Status`` message, an oversized one 413 (known
from ``Content-Length`` before reading, or counted while a chunked body streams in: memory stays
bounded whatever is sent), another media type 415; a full write queue gets 429 and an
unreachable store 503, both with ``Retry-After`` so that senders retry instead of dropping.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry import metrics, trace
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from starlette.concurrency import run_in_threadpool

from vigie.errors import StoreError
from vigie.ingest import pipeline
from vigie.ingest.decode import (
    JSON,
    PROTOBUF,
    IngestHttpError,
    MalformedPayload,
    PayloadTooLarge,
    Signal,
    media_type,
)
from vigie.ingest.rows import ConvertResult
from vigie.ingest.senders import Sender, bind_to_club
from vigie.ingest.writer import Ticket, WriteQueue

router = APIRouter(tags=["OTLP receiver"])

# Vigie's own telemetry (exported only when VIGIE_SELF_TELEMETRY_ENDPOINT is set).
_tracer = trace.get_tracer("vigie.ingest")
_meter = metrics.get_meter("vigie.ingest")
_requests = _meter.create_counter(
    "vigie.ingest.requests", unit="{request}", description="OTLP requests by signal and answer"
)
_rows_accepted = _meter.create_counter(
    "vigie.ingest.rows_accepted", unit="{row}", description="rows queued for the store"
)
_rows_rejected = _meter.create_counter(
    "vigie.ingest.rows_rejected", unit="{row}", description="rows refused (partial_success)"
)


@dataclass(frozen=True)
class _SignalSpec:
    response: type[Message]
    rejected_field: str


_SPECS: dict[Signal, _SignalSpec] = {
    "traces": _SignalSpec(trace_service_pb2.ExportTraceServiceResponse, "rejected_spans"),
    "logs": _SignalSpec(logs_service_pb2.ExportLogsServiceResponse, "rejected_log_records"),
    "metrics": _SignalSpec(
        metrics_service_pb2.ExportMetricsServiceResponse, "rejected_data_points"
    ),
}


@router.post("/v1/traces")
async def receive_traces(request: Request) -> Response:
    return await _receive(request, "traces")


@router.post("/v1/logs")
async def receive_logs(request: Request) -> Response:
    return await _receive(request, "logs")


@router.post("/v1/metrics")
async def receive_metrics(request: Request) -> Response:
    return await _receive(request, "metrics")


async def _receive(request: Request, signal: Signal) -> Response:
    response = await _answer(request, signal)
    _requests.add(1, {"signal": signal, "http.response.status_code": response.status_code})
    return response


async def _answer(request: Request, signal: Signal) -> Response:
    media = _answer_media(request.headers.get("content-type"))
    queue: WriteQueue = request.app.state.write_queue
    ingest: pipeline.Ingest = request.app.state.ingest
    if not queue.stats.store_available and queue.stats.queued_rows:
        return _retry_later(media, 503, "store unavailable", queue.retry_after_s)
    try:
        sender = ingest.senders.identify(request.headers.get("authorization"))
        body = await read_body(request, ingest.max_body_bytes)
        outcome, ticket = await run_in_threadpool(
            _accept,
            ingest,
            queue,
            sender,
            signal,
            body,
            request.headers.get("content-type"),
            request.headers.get("content-encoding"),
        )
    except IngestHttpError as exc:
        # The rest of a refused body is never read: the connection cannot be reused.
        headers = {"Connection": "close"}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return _status_response(media, exc.status, str(exc), headers)
    except StoreError:  # the write queue could not read a table's column types
        return _retry_later(media, 503, "store unavailable", queue.retry_after_s)
    if ticket is None:
        return _retry_later(media, 429, "write queue full", queue.retry_after_s)
    if not await _stored(ticket, ingest.write_timeout_s):
        queue.withdraw(ticket)
        return _retry_later(media, 503, "store too slow, not stored", queue.retry_after_s)
    spec = _SPECS[signal]
    message = spec.response()
    rejected = outcome.rejected + ticket.dead_rows
    errors = [outcome.error_message] if outcome.error_message else []
    if ticket.dead_rows:
        errors.append(f"{ticket.dead_rows} rows could not be stored ({ticket.errors[0]})")
    if outcome.truncated:  # kept, but not whole: a warning (rejected 0), as the spec allows
        errors.append(
            f"{outcome.truncated} values, keys or lists truncated to the receiver's limits"
            " (docs/ingest.md)"
        )
    if errors:
        partial = message.partial_success
        setattr(partial, spec.rejected_field, rejected)
        partial.error_message = "; ".join(errors)
    return _encode(media, message, 200)


async def _stored(ticket: Ticket, timeout_s: float) -> bool:
    """Wait, off the event loop's threads, until the writer has stored ``ticket``'s rows."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def resolve() -> None:
        if not done.done():
            done.set_result(None)

    def from_writer() -> None:
        # RuntimeError: the event loop closed (shutdown) while the insert ran
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(resolve)

    ticket.on_done(from_writer)
    try:
        await asyncio.wait_for(done, timeout_s)
    except TimeoutError:
        return ticket.done
    return True


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``max_bytes``:
    before any read when ``Content-Length`` says so, else while the chunks stream in. At most
    ``max_bytes`` plus one chunk is ever held, whatever the sender claims or sends."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise MalformedPayload(f"invalid Content-Length {declared[:40]!r}")
        if int(declared) > max_bytes:
            raise PayloadTooLarge(
                f"request body of {int(declared)} bytes exceeds {max_bytes} bytes"
            )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"request body exceeds {max_bytes} bytes")
    return bytes(body)


def _accept(
    ingest: pipeline.Ingest,
    queue: WriteQueue,
    sender: Sender,
    signal: Signal,
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
) -> tuple[ConvertResult, Ticket | None]:
    """Decode, convert, encode and queue one request: CPU work, run off the event loop."""
    with _tracer.start_as_current_span(
        "otlp.receive", attributes={"otlp.signal": signal, "http.request.body.size": len(body)}
    ) as span:
        outcome = ingest.convert(signal, body, content_type, content_encoding)
        bind_to_club(outcome.batches, sender)
        ticket = queue.offer(outcome.batches, awaited=True)
        queued = ticket is not None
        span.set_attributes(
            {"otlp.rows": outcome.rows, "otlp.rejected": outcome.rejected, "otlp.queued": queued}
        )
    if queued:
        _rows_accepted.add(outcome.rows, {"signal": signal})
    _rows_rejected.add(outcome.rejected, {"signal": signal})
    return outcome, ticket


def _answer_media(content_type: str | None) -> str:
    """Answer in JSON to JSON requests, in protobuf otherwise (also to unsupported types)."""
    return JSON if media_type(content_type) == JSON else PROTOBUF


def _encode(
    media: str, message: Message, status: int, headers: dict[str, str] | None = None
) -> Response:
    if media == JSON:
        body: Any = json_format.MessageToJson(message, indent=None).encode()
    else:
        body = message.SerializeToString()
    return Response(body, status_code=status, media_type=media, headers=headers)


def _status_response(
    media: str, status: int, text: str, headers: dict[str, str] | None = None
) -> Response:
    return _encode(
        media, status_pb2.Status(code=_GRPC_CODES.get(status, 2), message=text), status, headers
    )


def _retry_later(media: str, status: int, text: str, retry_after_s: int) -> Response:
    return _status_response(media, status, text, {"Retry-After": str(retry_after_s)})


# google.rpc.Code values matching the HTTP answers (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, …).
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}
