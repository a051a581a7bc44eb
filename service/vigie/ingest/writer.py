"""The write queue between the OTLP receiver and ClickHouse: group commit.

Accepted rows are encoded when they are offered (ClickHouse ``Native`` blocks, one per request
and table: :mod:`vigie.ingest.encode`) and wait here, per table; one background thread hands the
engine the concatenated blocks. :meth:`WriteQueue.offer` returns a :class:`Ticket` that is done
once every block of the request is inserted (or dead-lettered): the receiver answers 200 only
then, so that an acknowledged span survives a kill -9. A request whose sender waits
(``awaited``) is written as soon as the writer thread is free; the requests that arrive while an
insert runs share the next one (group commit), so waiting costs latency, not inserts. Rows
nobody waits for (tests, replays) wait until a batch is full (``batch_rows``) or old enough
(``flush_interval_s``). Queued rows cost their encoded size (a few hundred bytes a span) rather
than Python objects, and the writer thread does no per-value work, so the engine's insert runs
beside the receiver's decoding instead of competing with it for the GIL. The queue is bounded in
rows: when it is full, :meth:`WriteQueue.offer` refuses and the receiver answers 429 with
Retry-After, so a slow or absent store pushes back on senders instead of growing memory.

Nothing accepted is lost: a batch the store cannot take because it is unreachable stays queued
and is retried with backoff; :meth:`WriteQueue.close` flushes everything before returning. Values
a column cannot hold (a converter bug, not a sender's) are isolated by bisection when encoding
and appended, row by row, to a dead-letter file. A block the store itself rejects is isolated by
bisection over the batch's blocks and dead-lettered whole, as base64 Native bytes
(``base64 -d | clickhouse-local --input-format Native`` reads it back).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
_queue_rows = _meter.create_up_down_counter(
    "vigie.ingest.queue_rows", unit="{row}", description="rows accepted, not yet written"
)

_COLUMN_TYPES = (
    "SELECT name, type FROM system.columns"
    " WHERE database = currentDatabase() AND table = {table:String}"
)


class Ticket:
    """What one offered request became: done once each of its blocks is inserted or
    dead-lettered. ``dead_rows`` and ``errors`` say what could not be stored."""

    def __init__(self, *, awaited: bool = False) -> None:
        self.awaited = awaited
        self._lock = threading.Lock()
        self._left = 0
        self._sealed = False
        self._done = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self.dead_rows = 0
        self.errors: list[str] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._done.wait(timeout_s)

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the writer thread) once done; now if it already is."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def _expect(self, blocks: int) -> None:
        with self._lock:
            self._left += blocks

    def _seal(self) -> None:
        """Every block of the request is known: done when none is left to write."""
        with self._lock:
            self._sealed = True
        self._settle(0, 0, None)

    def _settle(self, blocks: int, dead_rows: int, error: str | None) -> None:
        with self._lock:
            self._left -= blocks
            self.dead_rows += dead_rows
            if error is not None:
                self.errors.append(error)
            if not self._sealed or self._left or self._done.is_set():
                return
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


@dataclass(frozen=True)
class Block:
    """Rows of one table encoded for the engine (``Native``), and whose request they are."""

    table: str
    columns: tuple[str, ...]
    payload: bytes
    rows: int
    ticket: Ticket | None = None


@dataclass
class _Pending:
    blocks: deque[Block]
    rows: int
    since: float
    awaited_since: float | None = None  # when a sender began waiting for rows of this slot


@dataclass
class QueueStats:
    queued_rows: int = 0
    written_rows: int = 0
    dead_rows: int = 0
    failed_writes: int = 0
    store_available: bool = True
    by_table: dict[str, int] = field(default_factory=dict)


class WriteQueue:
    """A bounded, batching, flushing queue of encoded rows with one writer thread."""

    def __init__(
        self,
        store: Store,
        *,
        max_rows: int,
        batch_rows: int,
        flush_interval_s: float,
        commit_delay_s: float = 0.0,
        dead_letter_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._max_rows = max_rows
        self._batch_rows = batch_rows
        self._interval = flush_interval_s
        self._commit_delay = commit_delay_s
        self._dead_dir = dead_letter_dir
        self._clock = clock
        # Keyed by table and columns: blocks are concatenated into one INSERT per batch.
        self._pending: dict[tuple[str, tuple[str, ...]], _Pending] = {}
        self._cond = threading.Condition()
        # Held while a batch is between the queue and the store, so that flush() returns only
        # once the writer thread's in-flight batch has landed too.
        self._writing = threading.Lock()
        # Request threads and the writer thread both dead-letter.
        self._dead_lock = threading.Lock()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.stats = QueueStats()
        self._backoff = 0.0
        self._column_types: dict[str, dict[str, str]] = {}

    # -- producer side -------------------------------------------------------------------------

    def offer(self, batches: Sequence[TableBatch], *, awaited: bool = False) -> Ticket | None:
        """Encode and queue all batches of one request, or none of them (``None``) when the
        queue would overflow. The ticket is done once every row is inserted or dead-lettered;
        ``awaited`` (the sender waits for it) has the rows written without waiting for a batch
        to fill. Encoding is CPU work (about a millisecond per 512 spans): call this off the
        event loop. Raises :class:`~vigie.errors.StoreError` when a table's column types are
        not known yet and the store cannot tell them (the sender should retry)."""
        rows = sum(b.rows for b in batches)
        if not self._has_room(rows):
            return None
        ticket = Ticket(awaited=awaited)
        blocks = [
            block for batch in batches if batch.rows for block in self._encode(batch, ticket)
        ]
        with self._cond:
            if not self._has_room(rows):
                return None
            ticket._expect(len(blocks))
            for block in blocks:
                key = (block.table, block.columns)
                slot = self._pending.get(key)
                if slot is None:
                    slot = self._pending[key] = _Pending(deque(), 0, self._clock())
                slot.blocks.append(block)
                slot.rows += block.rows
                if awaited and slot.awaited_since is None:
                    slot.awaited_since = self._clock()
                self.stats.queued_rows += block.rows
                _queue_rows.add(block.rows, {"table": block.table})
            self._cond.notify()
        ticket._seal()
        return ticket

    def withdraw(self, ticket: Ticket) -> int:
        """Take the blocks of ``ticket`` that no insert has started out of the queue (its
        sender gave up waiting and will retry); the number of rows withdrawn."""
        withdrawn = 0
        with self._cond:
            for key, slot in list(self._pending.items()):
                keep = deque(b for b in slot.blocks if b.ticket is not ticket)
                gone = slot.rows - sum(b.rows for b in keep)
                if not gone:
                    continue
                slot.blocks, slot.rows = keep, slot.rows - gone
                self.stats.queued_rows -= gone
                _queue_rows.add(-gone, {"table": key[0]})
                withdrawn += gone
                if not keep:
                    del self._pending[key]
        return withdrawn

    def _has_room(self, rows: int) -> bool:
        with self._cond:
            return not self._closing and (
                not rows or self.stats.queued_rows + rows <= self._max_rows
            )

    @property
    def retry_after_s(self) -> int:
        """What to tell a refused sender: the flush interval, longer while the store is down."""
        return max(1, round(self._interval + self._backoff))

    def _encode(self, batch: TableBatch, ticket: Ticket) -> Iterator[Block]:
        """``batch`` as blocks of at most ``batch_rows`` rows; rows holding a value their
        column cannot take are dead-lettered instead (and counted on ``ticket``)."""
        known = self._types(batch.table)
        missing = [c for c in batch.columns if c not in known]
        if missing:
            reason = f"{batch.table} has no column {', '.join(missing)}"
            self._dead_letter_rows(batch, reason)
            ticket._settle(0, batch.rows, reason)
            return
        types = [known[c] for c in batch.columns]
        batch = TableBatch(batch.table, batch.columns, batch.data)  # take() leaves the caller's
        while batch.rows > self._batch_rows:
            head = batch.take(self._batch_rows)
            yield from self._encode_isolating_bad_rows(head, types, ticket)
        yield from self._encode_isolating_bad_rows(batch, types, ticket)

    def _encode_isolating_bad_rows(
        self, batch: TableBatch, types: list[str], ticket: Ticket
    ) -> Iterator[Block]:
        try:
            payload = encode_native(batch, types)
        except ValueError as exc:  # a value its column cannot hold
            if batch.rows == 1:
                self._dead_letter_rows(batch, str(exc))
                ticket._settle(0, 1, str(exc))
                return
            head = batch.take(batch.rows // 2)
            yield from self._encode_isolating_bad_rows(head, types, ticket)
            yield from self._encode_isolating_bad_rows(batch, types, ticket)
            return
        yield Block(batch.table, batch.columns, payload, batch.rows, ticket)

    def _types(self, table: str) -> dict[str, str]:
        """The ClickHouse type of each column of ``table``, read from the store once."""
        known = self._column_types.get(table)
        if known is None:
            known = dict(self._store.query(_COLUMN_TYPES, {"table": table}).rows)
            if known:  # a table created later must still be found
                self._column_types[table] = known
        return known

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
        return any(self._slot_due(p, now) for p in self._pending.values())

    def _slot_due(self, slot: _Pending, now: float) -> bool:
        """Full, old enough, or awaited for ``commit_delay_s`` (which gathers the requests
        of several senders into one insert)."""
        return (
            slot.rows >= self._batch_rows
            or now - slot.since >= self._interval
            or (slot.awaited_since is not None and now - slot.awaited_since >= self._commit_delay)
        )

    def _wait_time(self) -> float:
        if not self._pending:
            return self._interval
        now = self._clock()
        due_at = [p.since + self._interval for p in self._pending.values()]
        due_at += [
            p.awaited_since + self._commit_delay
            for p in self._pending.values()
            if p.awaited_since is not None
        ]
        return max(0.001, min(due_at) - now)

    def _next_batch(self, *, force: bool) -> list[Block] | None:
        """The oldest blocks of a due table, up to ``batch_rows`` rows (at least one block)."""
        with self._cond:
            now = self._clock()
            for key, slot in self._pending.items():
                if force or self._slot_due(slot, now):
                    blocks = [slot.blocks.popleft()]
                    rows = blocks[0].rows
                    while slot.blocks and rows + slot.blocks[0].rows <= self._batch_rows:
                        blocks.append(slot.blocks.popleft())
                        rows += blocks[-1].rows
                    slot.rows -= rows
                    if not slot.blocks:
                        del self._pending[key]
                    return blocks
        return None

    def _requeue_front(self, blocks: list[Block]) -> None:
        with self._cond:
            key = (blocks[0].table, blocks[0].columns)
            slot = self._pending.get(key)
            if slot is None:
                slot = self._pending[key] = _Pending(deque(), 0, 0.0)
            slot.blocks.extendleft(reversed(blocks))
            slot.rows += sum(b.rows for b in blocks)
            slot.since = self._clock() - self._interval  # due again after the backoff
            if any(b.ticket and b.ticket.awaited for b in blocks):
                slot.awaited_since = slot.awaited_since or 0.0  # due again after the backoff

    def _write(self, blocks: list[Block]) -> bool:
        """Write one batch; False (and the batch back in front) when the store is unreachable."""
        table = blocks[0].table
        rows = sum(b.rows for b in blocks)
        started = time.perf_counter()
        refused: dict[int, str] = {}  # id(block) → why the store did not take it
        try:
            self._insert_isolating_bad_blocks(blocks, refused)
        except StoreUnavailable as exc:
            self.stats.failed_writes += 1
            self.stats.store_available = False
            self._backoff = min(30.0, max(0.5, self._backoff * 2))
            log.warning("store unavailable, will retry", extra={"error": str(exc)})
            self._requeue_front(blocks)
            return False
        except Exception as exc:  # the writer thread's edge: keep writing the other batches
            log.exception("unexpected error writing a batch", extra={"table": table})
            for block in blocks:
                self._dead_letter_block(block, f"{type(exc).__name__}: {exc}")
                refused[id(block)] = "rows the store could not take"
        self._backoff = 0.0
        self.stats.store_available = True
        _write_latency.record(time.perf_counter() - started, {"table": table})
        _queue_rows.add(-rows, {"table": table})
        with self._cond:
            self.stats.queued_rows -= rows
            self.stats.by_table[table] = self.stats.by_table.get(table, 0) + rows
        for block in blocks:  # last: a sender told "stored" finds the stats say so too
            if block.ticket is not None:
                error = refused.get(id(block))
                block.ticket._settle(1, 0 if error is None else block.rows, error)
        return True

    def _insert_isolating_bad_blocks(self, blocks: list[Block], refused: dict[int, str]) -> None:
        first = blocks[0]
        try:
            payload = b"".join(b.payload for b in blocks)
            self._store.insert_raw(first.table, first.columns, payload, NATIVE)
        except StoreUnavailable:
            raise
        except StoreError as exc:
            if len(blocks) == 1:
                self._dead_letter_block(first, str(exc))
                refused[id(first)] = "rows the store refused"
                return
            half = len(blocks) // 2
            self._insert_isolating_bad_blocks(blocks[:half], refused)
            self._insert_isolating_bad_blocks(blocks[half:], refused)
            return
        rows = sum(b.rows for b in blocks)
        self.stats.written_rows += rows
        _rows_written.add(rows, {"table": first.table})

    def _dead_letter_rows(self, batch: TableBatch, reason: str) -> None:
        lines = [{"error": reason, "row": row} for row in batch.row_dicts()]
        self._dead_letter(batch.table, batch.rows, reason, lines)

    def _dead_letter_block(self, block: Block, reason: str) -> None:
        line = {
            "error": reason,
            "rows": block.rows,
            "columns": block.columns,
            "native_base64": base64.b64encode(block.payload).decode(),
        }
        self._dead_letter(block.table, block.rows, reason, [line])

    def _dead_letter(self, table: str, rows: int, reason: str, lines: list[dict[str, Any]]) -> None:
        _rows_dead.add(rows, {"table": table})
        log.error("rows rejected by the store", extra={"table": table, "error": reason})
        with self._dead_lock:
            self.stats.dead_rows += rows
            if self._dead_dir is None:
                return
            self._dead_dir.mkdir(parents=True, exist_ok=True)
            with (self._dead_dir / f"{table}.jsonl").open("a", encoding="utf-8") as out:
                for line in lines:
                    out.write(json.dumps(line, default=str) + "\n")
