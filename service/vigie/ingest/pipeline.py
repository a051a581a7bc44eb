"""One OTLP request, from body bytes to table batches: decode → scrub and convert → keep what
the store will keep.

Rows whose time the tables' TTL would drop at once (before the retention, ``ttl_days``, or after
2106-02-07, past what the TTL's ``DateTime`` holds) are refused and counted in
``partial_success`` rather than acknowledged and silently lost.

The receiver calls :meth:`Ingest.convert` off the event loop; everything here is pure CPU work
over the request (no I/O; the clock is passed in), so tests and benchmarks call it directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigie.ingest.decode import Signal, decode_request
from vigie.ingest.logs import convert_logs
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import MAX_DATETIME_S, ConvertResult, Scrubber, TableBatch
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
    ttl_days: int = 0  # 0: kept forever
    write_timeout_s: float = 5.0  # how long a request waits for its insert (then 503)
    clock_ns: Callable[[], int] = time.time_ns

    @classmethod
    def default(
        cls,
        max_body_bytes: int,
        senders: Senders | None = None,
        *,
        ttl_days: int = 0,
        write_timeout_s: float = 5.0,
    ) -> Ingest:
        """With the platform's PII patterns (``pii_patterns.yaml``)."""
        return cls(PiiScrubber(), max_body_bytes, senders or Senders(), ttl_days, write_timeout_s)

    def convert(
        self,
        signal: Signal,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
    ) -> ConvertResult:
        """Raises :class:`~vigie.ingest.decode.IngestHttpError` when the body is unusable."""
        request = decode_request(body, content_type, content_encoding, signal, self.max_body_bytes)
        result = _CONVERTERS[signal](request, self.scrubber)
        oldest = self.clock_ns() - self.ttl_days * _DAY_NS if self.ttl_days else 0
        dropped = sum(_keep_retained(batch, oldest) for batch in result.batches)
        if dropped:
            result.batches = [batch for batch in result.batches if batch.rows]
            result.rows -= dropped
            result.rejected += dropped
            retention = f"before the {self.ttl_days}-day retention or " if self.ttl_days else ""
            reason = f"{dropped} {_WHAT[signal]} rejected: time {retention}after 2106-02-07"
            result.error_message = "; ".join(m for m in (result.error_message, reason) if m)
        return result


_DAY_NS = 86_400 * 10**9
_NS = 10**9
# What each table's TTL reads, and its values per second: span and log times are nanoseconds
# (DateTime64(9)), metric points' whole seconds (DateTime).
_TIME_COLUMNS = (("Timestamp", _NS), ("TimeUnix", 1))
_WHAT: dict[Signal, str] = {"traces": "spans", "logs": "log records", "metrics": "data points"}


def _keep_retained(batch: TableBatch, oldest_ns: int) -> int:
    """Drop the rows of ``batch`` whose time the table's TTL would drop at once; how many."""
    column, per_s = next((c, u) for c, u in _TIME_COLUMNS if c in batch.columns)
    times = batch.data[batch.columns.index(column)]
    oldest, latest = oldest_ns * per_s // _NS, (MAX_DATETIME_S + 1) * per_s
    keep = [i for i, t in enumerate(times) if oldest <= t < latest]
    dropped = len(times) - len(keep)
    if dropped:
        batch.data = [[values[i] for i in keep] for values in batch.data]
    return dropped
