"""Back-dated history: request shapes encoded in large OTLP batches and POSTed to the receiver.

The receiver is the only way in (a running ``vigie serve`` holds the embedded data directory), so
history goes through OTLP/HTTP like any collector would send it: protobuf, gzip, and a retry with
back-off when the receiver pushes back (429/503 and friends, ``Retry-After`` honoured).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from vigie.errors import VigieError
from vigie.loadgen.model import RequestShape
from vigie.loadgen.otlp import encode_logs, encode_traces

DEFAULT_BATCH_SPANS = 5000
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_BACKOFF_S = 30.0


@dataclass(slots=True)
class Sent:
    """What a history run delivered; ``rejected_*`` counts what the receiver reported dropping."""

    requests: int = 0
    spans: int = 0
    logs: int = 0
    posts: int = 0
    retries: int = 0
    rejected_spans: int = 0
    rejected_logs: int = 0


class OtlpPoster:
    """POST OTLP protobuf bodies to ``<endpoint>/v1/<signal>``, retrying when asked to."""

    def __init__(
        self,
        client: httpx.Client,
        endpoint: str,
        sleep: Callable[[float], None],
        attempts: int = 6,
    ) -> None:
        self._client = client
        self._endpoint = endpoint.rstrip("/")
        self._sleep = sleep
        self._attempts = attempts

    def post(self, signal: str, body: bytes, sent: Sent) -> int:
        """Send one body; returns the number of items the receiver says it rejected."""
        url = f"{self._endpoint}/v1/{signal}"
        data = gzip.compress(body, compresslevel=1)
        headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
        problem = ""
        for attempt in range(self._attempts):
            if attempt:
                sent.retries += 1
            delay = min(_MAX_BACKOFF_S, 0.5 * 2**attempt)
            try:
                response = self._client.post(url, content=data, headers=headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    sent.posts += 1
                    return _rejected(signal, response.content)
                if response.status_code not in _RETRY_STATUSES:
                    raise VigieError(
                        f"{url} answered {response.status_code}: {response.text[:300]}"
                    )
                problem = f"HTTP {response.status_code}"
                delay = _retry_after(response) or delay
            if attempt + 1 < self._attempts:
                self._sleep(delay)
        raise VigieError(f"{url}: gave up after {self._attempts} attempts ({problem})")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return min(_MAX_BACKOFF_S, max(0.0, float(value)))
    except ValueError:
        return None


def _rejected(signal: str, content: bytes) -> int:
    """Items a successful OTLP answer reports as rejected (its ``partial_success``)."""
    if not content:
        return 0
    answer: Message = (
        ExportTraceServiceResponse() if signal == "traces" else ExportLogsServiceResponse()
    )
    try:
        answer.ParseFromString(content)
    except DecodeError:
        # A receiver may answer a success in JSON or plain text: nothing to count then.
        return 0
    if isinstance(answer, ExportTraceServiceResponse):
        return answer.partial_success.rejected_spans
    assert isinstance(answer, ExportLogsServiceResponse)
    return answer.partial_success.rejected_log_records


def write_history(
    requests: Iterable[RequestShape],
    poster: OtlpPoster,
    batch_spans: int = DEFAULT_BATCH_SPANS,
    progress: Callable[[Sent], None] | None = None,
) -> Sent:
    """Send ``requests`` in batches of about ``batch_spans`` spans (their logs alongside)."""
    sent = Sent()
    batch: list[RequestShape] = []
    size = 0

    def flush() -> None:
        nonlocal batch, size
        sent.rejected_spans += poster.post("traces", encode_traces(batch).SerializeToString(), sent)
        logs = sum(len(r.logs) for r in batch)
        if logs:
            sent.rejected_logs += poster.post("logs", encode_logs(batch).SerializeToString(), sent)
        sent.requests += len(batch)
        sent.spans += size
        sent.logs += logs
        batch, size = [], 0
        if progress is not None:
            progress(sent)

    for request in requests:
        batch.append(request)
        size += len(request.spans)
        if size >= batch_spans:
            flush()
    if batch:
        flush()
    return sent
