"""Silences: matchers over incidents for a time range; silenced incidents are recorded, not told.

A silence has three matchers (``club``, ``app``, ``slo``): each is an exact value, or empty for
any. It is active from ``starts_at`` (inclusive) to ``ends_at`` (exclusive); expiring it moves
``ends_at`` to now. The matching functions are pure; :class:`SilenceStore` keeps silences in
``vigie_silences`` (one versioned row per change).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from vigie.incidents.model import Event, Incident
from vigie.store import Store, tables

TABLE = tables.SILENCES
SilenceState = Literal["pending", "active", "expired"]
_COLUMNS = (
    "id", "club", "app", "slo", "starts_at", "ends_at", "author", "comment", "created_at",
)  # fmt: skip


@dataclass(frozen=True)
class Silence:
    id: str
    club: str  # "" matches any club
    app: str  # "" matches any app
    slo: str  # "" matches any SLO
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str
    created_at: datetime

    def matches(self, incident: Incident) -> bool:
        return all(
            want == "" or want == have
            for want, have in (
                (self.club, incident.club),
                (self.app, incident.app),
                (self.slo, incident.slo),
            )
        )

    def state(self, now: datetime) -> SilenceState:
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": {"club": self.club, "app": self.app, "slo": self.slo},
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "author": self.author,
            "comment": self.comment,
            "created_at": self.created_at.isoformat(),
            "state": self.state(now),
        }


def new_silence(
    *,
    club: str = "",
    app: str = "",
    slo: str = "",
    starts_at: datetime,
    ends_at: datetime,
    author: str,
    comment: str,
    now: datetime,
) -> Silence:
    """A validated new silence; ``ValueError`` says what is wrong."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("start and end need a UTC offset")
    if ends_at <= starts_at:
        raise ValueError("end must be after start")
    if ends_at <= now:
        raise ValueError("end is in the past: the silence would never apply")
    if not author.strip():
        raise ValueError("author is required")
    if not comment.strip():
        raise ValueError("comment is required (why is it silenced?)")
    sid = "SIL-" + base64.b32encode(uuid.uuid4().bytes).decode()[:10]
    return Silence(
        sid, club, app, slo, starts_at.astimezone(UTC), ends_at.astimezone(UTC),
        author.strip(), comment.strip(), now,
    )  # fmt: skip


def matching(silences: Iterable[Silence], incident: Incident, now: datetime) -> Silence | None:
    """The active silence that matches the incident (the lowest id if several), or None."""
    hits = [s for s in silences if s.state(now) == "active" and s.matches(incident)]
    return min(hits, key=lambda s: s.id) if hits else None


def silence_events(
    incidents: Iterable[Incident], silences: Sequence[Silence], at: datetime
) -> list[Event]:
    """``silenced`` / ``unsilenced`` events for open incidents whose silence changed."""
    events = []
    for inc in incidents:
        if not inc.is_open:
            continue
        hit = matching(silences, inc, at)
        if hit is not None and inc.silenced_by != hit.id:
            reason = f"silenced by {hit.id} ({hit.author}: {hit.comment}) until {hit.ends_at}"
            cause = {"silence_id": hit.id, "author": hit.author, "comment": hit.comment}
            events.append(_event(inc, "silenced", reason, cause, at))
        elif hit is None and inc.silenced_by is not None:
            reason = f"silence {inc.silenced_by} no longer applies"
            events.append(_event(inc, "unsilenced", reason, {"silence_id": inc.silenced_by}, at))
    return events


def _event(
    inc: Incident, kind: Literal["silenced", "unsilenced"], reason: str, cause: Any, at: datetime
) -> Event:
    return Event(
        inc.id, inc.last_seq + 1, at, at, kind, inc.club, inc.app, inc.environment, inc.slo,
        inc.severity, reason, cause,
    )  # fmt: skip


class SilenceStore:
    """Silences in ClickHouse: one row per version, the latest wins."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _write(self, silence: Silence, version: datetime) -> None:
        row = [getattr(silence, c) for c in _COLUMNS]
        self.store.insert(TABLE, [*_COLUMNS, "version"], [[*row, version]])

    def add(self, silence: Silence) -> Silence:
        self._write(silence, datetime.now(UTC))
        return silence

    def all(self) -> list[Silence]:
        result = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} ORDER BY id, version DESC LIMIT 1 BY id"
        )
        return [Silence(*(_utc(v) for v in row)) for row in result.rows]

    def get(self, silence_id: str) -> Silence | None:
        result = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE id = {{id:String}} "
            "ORDER BY version DESC LIMIT 1",
            {"id": silence_id},
        )
        return Silence(*(_utc(v) for v in result.rows[0])) if result.rows else None

    def expire(self, silence_id: str, now: datetime) -> Silence | None:
        """End the silence now; None if there is no such silence. Already ended: unchanged."""
        silence = self.get(silence_id)
        if silence is None or silence.ends_at <= now:
            return silence
        ended = replace(silence, starts_at=min(silence.starts_at, now), ends_at=now)
        self._write(ended, datetime.now(UTC))
        return ended


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
