"""One OTLP request, from body bytes to table batches: decode → scrub and convert.

The receiver calls :meth:`Ingest.convert` off the event loop; everything here is pure CPU work
over the request (no I/O), so tests and benchmarks call it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigie.ingest.decode import Signal, decode_request
from vigie.ingest.logs import convert_logs
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import ConvertResult, Scrubber
from vigie.ingest.scrub import Scrubber as PiiScrubber
from vigie.ingest.senders import Senders
from vigie.ingest.traces import convert_traces

_CONVERTERS: dict[Signal, Callable[[Any, Scrubber], ConvertResult]] = {
    "traces": convert_traces,
    "logs": convert_logs,
    "metrics": convert_metrics,
}


@dataclass(frozen=True)
class Ingest:
    """Decoding limits, the scrubber and the known senders, fixed for the life of the service
    (no senders: every request is refused with 401)."""

    scrubber: Scrubber
    max_body_bytes: int
    senders: Senders = field(default_factory=Senders)

    @classmethod
    def default(cls, max_body_bytes: int, senders: Senders | None = None) -> Ingest:
        """With the platform's PII patterns (``pii_patterns.yaml``)."""
        return cls(PiiScrubber(), max_body_bytes, senders or Senders())

    def convert(
        self,
        signal: Signal,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
    ) -> ConvertResult:
        """Raises :class:`~vigie.ingest.decode.IngestHttpError` when the body is unusable."""
        request = decode_request(body, content_type, content_encoding, signal, self.max_body_bytes)
        return _CONVERTERS[signal](request, self.scrubber)
