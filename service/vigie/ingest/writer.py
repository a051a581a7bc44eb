"""The write queue between the OTLP receiver and ClickHouse.

Accepted rows wait here, per table, until a batch is full (``batch_rows``) or old enough
(``flush_interval_s``); one background thread writes them. The queue is bounded in rows: when it
is full, :meth:`WriteQueue.offer` refuses and the receiver answers 429 with Retry-After, so a slow
or absent store pushes back on senders instead of growing memory.

Nothing accepted is lost: a batch the store cannot take because it is unreachable stays queued and
is retried with backoff; :meth:`WriteQueue.close` flushes everything before returning. Rows the
store rejects as invalid (which means a converter bug, not a sender's) are isolated by bisection
and appended to a dead-letter file instead of blocking the rows around them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from opentelemetry import metrics

from vigie.errors import StoreError, StoreUnavailable
from vigie.ingest.encode import NATIVE, encode_native
from vigie.ingest.rows import TableBatch
from vigie.store import Store

log = logging.getLogger(__name__)
_meter = metrics.get_meter("vigie.ingest")
_rows_written = _meter.create_counter("vigie.ingest.rows_written", unit="{row}")
_rows_dead = _meter.create_counter("vigie.ingest.rows_dead_lettered", unit="{row}")
_write_latency = _meter.create_histogram("vigie.ingest.write_duration", unit="s")

_COLUMN_TYPES = (
    "SELECT name, type FROM system.columns"
    " WHERE database = currentDatabase() AND table = {table:String}"
)


@dataclass
class _Pending:
    batch: TableBatch
    since: float


@dataclass
class QueueStats:
    queued_rows: int = 0
    written_rows: int = 0
    dead_rows: int = 0
    failed_writes: int = 0
    store_available: bool = True
    by_table: dict[str, int] = field(default_factory=dict)


class WriteQueue:
    """A bounded, batching, flushing queue of rows with one writer thread."""

    def __init__(
        self,
        store: Store,
        *,
        max_rows: int,
        batch_rows: int,
        flush_interval_s: float,
        dead_letter_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._max_rows = max_rows
        self._batch_rows = batch_rows
        self._interval = flush_interval_s
        self._dead_dir = dead_letter_dir
        self._clock = clock
        self._pending: dict[str, _Pending] = {}
        self._cond = threading.Condition()
        # Held while a batch is between the queue and the store, so that flush() returns only
        # once the writer thread's in-flight batch has landed too.
        self._writing = threading.Lock()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.stats = QueueStats()
        self._backoff = 0.0
        self._column_types: dict[str, dict[str, str]] = {}

    # -- producer side -------------------------------------------------------------------------

    def offer(self, batches: Sequence[TableBatch]) -> bool:
        """Queue all batches of one request, or none of them when the queue would overflow."""
        rows = sum(b.rows for b in batches)
        with self._cond:
            if self._closing:
                return False
            if rows and self.stats.queued_rows + rows > self._max_rows:
                return False
            for batch in batches:
                if not batch.rows:
                    continue
                slot = self._pending.get(batch.table)
                if slot is None:
                    copy = TableBatch(batch.table, batch.columns, [list(c) for c in batch.data])
                    self._pending[batch.table] = _Pending(copy, self._clock())
                else:
                    slot.batch.extend(batch)
            self.stats.queued_rows += rows
            self._cond.notify()
        return True

    @property
    def retry_after_s(self) -> int:
        """What to tell a refused sender: the flush interval, longer while the store is down."""
        return max(1, round(self._interval + self._backoff))

    # -- writer side ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="vigie-writer", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop accepting, write every queued row, then return (graceful shutdown)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error(
                    "writer did not drain in time",
                    extra={"queued_rows": self.stats.queued_rows},
                )
        else:
            self.flush()

    def flush(self) -> None:
        """Write everything queued now (used by close and by tests)."""
        while True:
            with self._writing:
                batch = self._next_batch(force=True)
                if batch is None:
                    return
                self._write(batch)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closing and not self._due():
                    self._cond.wait(timeout=self._wait_time())
                closing = self._closing
            with self._writing:
                batch = self._next_batch(force=closing)
                written = batch is None or self._write(batch)
            if batch is None:
                if closing:
                    return
                continue
            if not written:
                if closing and self._backoff >= 30:
                    log.error("store unavailable during shutdown; rows remain unwritten")
                    return
                time.sleep(self._backoff)

    def _due(self) -> bool:
        now = self._clock()
        return any(
            p.batch.rows >= self._batch_rows or now - p.since >= self._interval
            for p in self._pending.values()
        )

    def _wait_time(self) -> float:
        if not self._pending:
            return self._interval
        oldest = min(p.since for p in self._pending.values())
        return max(0.01, self._interval - (self._clock() - oldest))

    def _next_batch(self, *, force: bool) -> TableBatch | None:
        with self._cond:
            now = self._clock()
            for table, slot in self._pending.items():
                full = slot.batch.rows >= self._batch_rows
                if force or full or now - slot.since >= self._interval:
                    if slot.batch.rows > self._batch_rows:
                        return slot.batch.take(self._batch_rows)
                    del self._pending[table]
                    return slot.batch
        return None

    def _requeue_front(self, batch: TableBatch) -> None:
        with self._cond:
            slot = self._pending.get(batch.table)
            if slot is not None:
                batch.extend(slot.batch)
            self._pending[batch.table] = _Pending(batch, self._clock() - self._interval)

    def _write(self, batch: TableBatch) -> bool:
        """Write one batch; False (and the batch back in front) when the store is unreachable."""
        started = time.perf_counter()
        try:
            self._insert_isolating_bad_rows(batch)
        except StoreUnavailable as exc:
            self.stats.failed_writes += 1
            self.stats.store_available = False
            self._backoff = min(30.0, max(0.5, self._backoff * 2))
            log.warning("store unavailable, will retry", extra={"error": str(exc)})
            self._requeue_front(batch)
            return False
        except Exception as exc:  # the writer thread's edge: keep writing the other batches
            log.exception("unexpected error writing a batch", extra={"table": batch.table})
            self._dead_letter(batch, f"{type(exc).__name__}: {exc}")
        self._backoff = 0.0
        self.stats.store_available = True
        _write_latency.record(time.perf_counter() - started, {"table": batch.table})
        with self._cond:
            self.stats.queued_rows -= batch.rows
            self.stats.by_table[batch.table] = self.stats.by_table.get(batch.table, 0) + batch.rows
        return True

    def _insert_isolating_bad_rows(self, batch: TableBatch) -> None:
        try:
            payload = encode_native(batch, self._types(batch.table, batch.columns))
            self._store.insert_raw(batch.table, batch.columns, payload, NATIVE)
        except StoreUnavailable:
            raise
        except (StoreError, ValueError) as exc:  # ValueError: a value its column cannot hold
            if batch.rows == 1:
                self._dead_letter(batch, str(exc))
                return
            half = batch.rows // 2
            rest = TableBatch(batch.table, batch.columns, [list(c) for c in batch.data])
            head = rest.take(half)
            self._insert_isolating_bad_rows(head)
            self._insert_isolating_bad_rows(rest)
            return
        self.stats.written_rows += batch.rows
        _rows_written.add(batch.rows, {"table": batch.table})

    def _types(self, table: str, columns: Sequence[str]) -> list[str]:
        """The ClickHouse types of ``columns``, read from the store once per table."""
        known = self._column_types.get(table)
        if known is None:
            known = dict(self._store.query(_COLUMN_TYPES, {"table": table}).rows)
            if known:  # a table created later must still be found
                self._column_types[table] = known
        missing = [c for c in columns if c not in known]
        if missing:
            raise StoreError(f"{table} has no column {', '.join(missing)}")
        return [known[c] for c in columns]

    def _dead_letter(self, batch: TableBatch, reason: str) -> None:
        self.stats.dead_rows += batch.rows
        _rows_dead.add(batch.rows, {"table": batch.table})
        log.error("row rejected by the store", extra={"table": batch.table, "error": reason})
        if self._dead_dir is None:
            return
        self._dead_dir.mkdir(parents=True, exist_ok=True)
        path = self._dead_dir / f"{batch.table}.jsonl"
        with path.open("a", encoding="utf-8") as out:
            for row in batch.row_dicts():
                out.write(json.dumps({"error": reason, "row": row}, default=str) + "\n")
