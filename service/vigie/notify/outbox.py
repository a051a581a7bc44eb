"""The durable outbox of Discord notices, append-only in ClickHouse (``vigie_outbox``, m0025).

Semantics (docs/notifications.md):

* :meth:`Outbox.record` writes a ``pending`` row holding the notice *before* anything is sent;
  a key already recorded is ignored, so producers may re-submit after a crash.
* After Discord answers, :meth:`Outbox.mark` appends ``sent`` (with the message id), ``failed``
  or ``dead``; each retried attempt appends ``retried``. A notice's state is its latest event
  other than ``retried``.
* On start, :meth:`Outbox.pending` returns what was recorded and never concluded: it is sent
  then. The one duplicate possible is a message Discord accepted just before a crash that
  prevented the ``sent`` row: at-least-once, never lost.

Event times come from the injected clock and are made strictly increasing, within the process
and across restarts (the first event continues after the latest recorded one), so "latest" is
well defined even when the clock stands still or is set back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from vigie.notify.notice import Notice, notice_from_json, notice_to_json
from vigie.store import tables
from vigie.store.client import Store

Event = Literal["pending", "retried", "sent", "failed", "dead"]
TABLE = tables.OUTBOX
_COLUMNS = (
    "key",
    "channel",
    "event",
    "kind",
    "edit_of",
    "notice",
    "message_id",
    "discord_channel_id",
    "attempt",
    "detail",
    "created_at",
    "at",
)
# Ties (two processes writing in the same microsecond, or a clock standing still across a
# restart) are broken in favour of an outcome over ``pending``.
_STATE = "argMaxIf(event, (at, event != 'pending'), event != 'retried')"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class SentMessage:
    """A notice that reached Discord, with the message it created."""

    notice: Notice
    message_id: str
    discord_channel_id: str


class Outbox:
    """Queries of the outbox table; thread-safe (the store serialises statements)."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._last_at: datetime | None = None

    def _now(self) -> datetime:
        with self._lock:
            if self._last_at is None:
                # Continue after the latest recorded event, so a clock set back across a
                # restart cannot make an old ``pending`` look newer than a fresh ``sent``.
                latest = self._store.query(f"SELECT max(at), count() FROM {TABLE}").rows[0]
                self._last_at = latest[0].replace(tzinfo=UTC) if latest[1] else None
            now = self._clock()
            if self._last_at is not None and now <= self._last_at:
                now = self._last_at + _TICK
            self._last_at = now
            return now

    def record(self, notices: Sequence[Notice]) -> list[Notice]:
        """Record new notices as ``pending``; returns those not recorded before (in order)."""
        unique = list({n.key: n for n in notices}.values())
        if not unique:
            return []
        known = self._store.query(
            f"SELECT DISTINCT key FROM {TABLE} WHERE key IN {{keys:Array(String)}}",
            {"keys": [n.key for n in unique]},
        )
        seen = {row[0] for row in known.rows}
        fresh = [n for n in unique if n.key not in seen]
        if fresh:
            rows = [self._row(n, "pending", notice_json=notice_to_json(n)) for n in fresh]
            self._store.insert(TABLE, _COLUMNS, rows)
        return fresh

    def mark(
        self,
        notice: Notice,
        event: Event,
        *,
        message_id: str = "",
        discord_channel_id: str = "",
        attempt: int = 0,
        detail: str = "",
    ) -> None:
        """Append an outcome of ``notice``."""
        row = self._row(
            notice,
            event,
            message_id=message_id,
            discord_channel_id=discord_channel_id,
            attempt=attempt,
            detail=detail[:500],
        )
        self._store.insert(TABLE, _COLUMNS, [row])

    def _row(
        self, notice: Notice, event: Event, *, notice_json: str = "", **values: object
    ) -> list[object]:
        base: dict[str, object] = {
            "key": notice.key,
            "channel": notice.channel,
            "event": event,
            "kind": notice.kind,
            "edit_of": notice.edit_of or "",
            "notice": notice_json,
            "message_id": "",
            "discord_channel_id": "",
            "attempt": 0,
            "detail": "",
            "created_at": notice.created_at,
            "at": self._now(),
        }
        base.update(values)
        return [base[c] for c in _COLUMNS]

    def pending(self, since: datetime | None = None) -> list[Notice]:
        """Notices recorded (at or after ``since``) and not concluded, oldest first.

        Every event of a notice comes after its ``pending`` row, so filtering rows by time keeps
        whole histories of the notices recorded since then (a cheap scan when called often)."""
        where = "WHERE at >= {since:DateTime64(6, 'UTC')}" if since is not None else ""
        result = self._store.query(
            f"SELECT anyIf(notice, event = 'pending') AS n, minIf(at, event = 'pending') AS t "
            f"FROM {TABLE} {where} GROUP BY key HAVING {_STATE} = 'pending' ORDER BY t, key",
            {"since": since} if since is not None else {},
        )
        return [notice_from_json(row[0]) for row in result.rows if row[0]]

    def states(self, keys: Sequence[str]) -> dict[str, str]:
        """The current state of each recorded key."""
        result = self._store.query(
            f"SELECT key, {_STATE} FROM {TABLE} WHERE key IN {{keys:Array(String)}} GROUP BY key",
            {"keys": list(keys)},
        )
        return {row[0]: row[1] for row in result.rows}

    def sent(self, key: str) -> SentMessage | None:
        """The message a sent notice created (``None`` if it was never sent)."""
        result = self._store.query(
            f"SELECT anyIf(notice, event = 'pending'), argMaxIf(message_id, at, event = 'sent'), "
            f"argMaxIf(discord_channel_id, at, event = 'sent'), countIf(event = 'sent') "
            f"FROM {TABLE} WHERE key = {{key:String}}",
            {"key": key},
        )
        if not result.rows or not result.rows[0][3] or not result.rows[0][0]:
            return None
        notice_json, message_id, channel_id, _ = result.rows[0]
        return SentMessage(notice_from_json(notice_json), message_id, channel_id)

    def sent_edits(self, key: str) -> list[Notice]:
        """The notices that edited the message of ``key`` and were sent, oldest first."""
        result = self._store.query(
            f"SELECT anyIf(notice, event = 'pending') AS n, minIf(at, event = 'sent') AS t "
            f"FROM {TABLE} WHERE edit_of = {{key:String}} GROUP BY key "
            f"HAVING countIf(event = 'sent') > 0 ORDER BY t",
            {"key": key},
        )
        return [notice_from_json(row[0]) for row in result.rows if row[0]]

    def keys_like(self, prefix: str) -> set[str]:
        """Recorded keys starting with ``prefix`` (markers such as dead webhooks)."""
        result = self._store.query(
            f"SELECT DISTINCT key FROM {TABLE} WHERE startsWith(key, {{prefix:String}})",
            {"prefix": prefix},
        )
        return {row[0] for row in result.rows}
