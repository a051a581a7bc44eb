"""Overrides of the rollout gate: for a time, an app may roll out whatever the gate says.

The fix for a burning app must be able to ship even when the analysis cannot tell (too little
traffic, stable and canary both failing on a shared dependency). An override is opened by an
admin or the app's club captain for a bounded time (at most :data:`MAX_DURATION`), with a
reason; it is recorded in the app's open incidents' timelines. :class:`OverrideStore` keeps
them in ``vigie_gate_overrides`` (one versioned row per change).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.store import Store, tables

TABLE = tables.GATE_OVERRIDES
MAX_DURATION = timedelta(hours=24)
_COLUMNS = ("id", "club", "app", "starts_at", "ends_at", "author", "reason", "created_at")


@dataclass(frozen=True)
class Override:
    id: str
    club: str
    app: str
    starts_at: datetime
    ends_at: datetime
    author: str
    reason: str
    created_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id, "club": self.club, "app": self.app,
            "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(),
            "author": self.author, "reason": self.reason, "active": self.active(now),
        }  # fmt: skip


def new_override(*, club: str, app: str, duration: timedelta, author: str, reason: str,
                 now: datetime) -> Override:
    """A validated override from ``now``; ``ValueError`` names what is wrong."""
    if not timedelta(minutes=1) <= duration <= MAX_DURATION:
        raise ValueError(f"duration: between 1 minute and {MAX_DURATION.total_seconds() / 3600:g}"
                         " hours")
    if not author.strip():
        raise ValueError("author: required")
    if not reason.strip():
        raise ValueError("reason: required (why may this version skip the gate?)")
    oid = "OVR-" + base64.b32encode(uuid.uuid4().bytes).decode()[:10]
    return Override(oid, club, app, now, now + duration, author.strip(), reason.strip(), now)


class OverrideStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, override: Override) -> Override:
        self._write(override)
        return override

    def close(self, override_id: str, now: datetime) -> Override | None:
        """End it now (a no-op on an ended one); None when the id is unknown."""
        found = next((o for o in self.all() if o.id == override_id), None)
        if found is None or not found.active(now):
            return found
        closed = replace(found, ends_at=now)
        self._write(closed)
        return closed

    def all(self) -> list[Override]:
        rows = self._store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} ORDER BY id, version DESC LIMIT 1 BY id"
        ).rows
        return sorted((_override(row) for row in rows), key=lambda o: o.created_at, reverse=True)

    def active(self, club: str, app: str, now: datetime) -> Override | None:
        hits = [o for o in self.all() if o.club == club and o.app == app and o.active(now)]
        return max(hits, key=lambda o: o.ends_at) if hits else None

    def _write(self, override: Override) -> None:
        row = [override.id, datetime.now(UTC), override.club, override.app, override.starts_at,
               override.ends_at, override.author, override.reason, override.created_at]
        self._store.insert(TABLE, ("id", "version", *_COLUMNS[1:]), [row])


def _override(row: tuple[Any, ...]) -> Override:
    oid, club, app, starts, ends, author, reason, created = row
    return Override(str(oid), str(club), str(app), _utc(starts), _utc(ends), str(author),
                    str(reason), _utc(created))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
