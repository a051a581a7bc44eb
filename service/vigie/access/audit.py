"""The audit trail: every use of a token (who, what, when), written in batches.

A request records one :class:`Use` in memory (no query on the request path); a background
thread writes what accumulated every :data:`FLUSH_INTERVAL_S` seconds in one insert, and
:meth:`AuditTrail.stop` writes the rest. A store that refuses a batch keeps it for the next
attempt, up to :data:`MAX_PENDING` uses (the oldest are then dropped and counted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from vigie.access.tokens import Principal
from vigie.errors import StoreError
from vigie.store import Store
from vigie.store.tables import TOKEN_USES

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 5.0
MAX_PENDING = 50_000
COLUMNS = ("at", "token_id", "role", "club", "label", "method", "route")


@dataclass(frozen=True)
class Use:
    at: datetime
    principal: Principal
    method: str
    route: str  # the route's path template, e.g. /api/v1/incidents/{incident_id}

    def row(self) -> list[object]:
        p = self.principal
        return [self.at, p.token_id, p.role, p.club, p.label, self.method, self.route]


class AuditTrail:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.clock = clock
        self.dropped = 0
        self._pending: list[Use] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, principal: Principal, method: str, route: str) -> None:
        with self._lock:
            self._pending.append(Use(self.clock(), principal, method, route))
            if len(self._pending) > MAX_PENDING:
                self.dropped += len(self._pending) - MAX_PENDING
                del self._pending[: len(self._pending) - MAX_PENDING]

    def flush(self) -> int:
        """Write what is pending in one insert; the number of uses written."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            self.store.insert(TOKEN_USES, COLUMNS, [use.row() for use in batch])
        except StoreError as exc:
            log.warning("audit trail not written, kept for later", extra={"error": str(exc)})
            with self._lock:
                self._pending[:0] = batch
            return 0
        return len(batch)

    def uses(self, limit: int = 1000) -> list[dict[str, object]]:
        """The latest uses, newest first (pending ones are written first)."""
        self.flush()
        result = self.store.query(
            f"SELECT {', '.join(COLUMNS)} FROM {TOKEN_USES} ORDER BY at DESC LIMIT {{n:UInt32}}",
            {"n": limit},
        )
        return result.dicts()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="vigie-audit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(FLUSH_INTERVAL_S):
            self.flush()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
