"""How far back an evaluation can look: each rollup's retention against the ranges it reads.

An evaluation at instant ``at`` reads, for every window, whole days, hours and minutes of the
rollups (:mod:`vigie.slo.rings`) and the last-seen minutes of the activity table. Rows older
than a table's TTL are gone, so an instant whose ranges reach past a TTL would be evaluated on
missing rows: mostly ``no_data``, never what the engine decided then. :func:`check` says so
before anything is read, with the oldest instant that can still be evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie.slo import rings
from vigie.slo.counts import frame_at

# What migrations 10 and 11 give each table (kept in step by a test that reads the TTL of the
# tables they create). ``None``: the table keeps its rows (no TTL configured).
_MINUTE_DAYS, _COARSE_DAYS, _ACTIVITY_DAYS = 7, 90, 7


@dataclass(frozen=True)
class Retention:
    """How long each table read by an evaluation keeps its rows (``None``: forever)."""

    minute: timedelta | None
    hour: timedelta | None
    day: timedelta | None
    activity: timedelta

    @classmethod
    def for_ttl(cls, ttl_days: int) -> Retention:
        """The retention of a store migrated with ``VIGIE_TTL_DAYS=ttl_days`` (0: no TTL)."""

        def kept(min_days: int) -> timedelta | None:
            return timedelta(days=max(ttl_days, min_days)) if ttl_days else None

        return cls(kept(_MINUTE_DAYS), kept(_COARSE_DAYS), kept(_COARSE_DAYS),
                   timedelta(days=_ACTIVITY_DAYS))


@dataclass(frozen=True)
class TooOld:
    """``at`` reaches rows that ``table`` no longer keeps; ``oldest`` is evaluable."""

    at: datetime
    table: str
    kept: timedelta
    oldest: datetime

    def message(self) -> str:
        return (
            f"{self.at.isoformat()} is too old to evaluate: the {self.table} keep "
            f"{self.kept.days} days of rows, so the oldest instant that can be evaluated now "
            f"is {self.oldest.isoformat()}"
        )


def earliest_reads(at: datetime, periods: dict[str, timedelta],
                   last_seen_lookback: timedelta) -> dict[str, datetime]:
    """The first instant each table is read from by an evaluation at ``at``."""
    frame = frame_at(at, periods)
    pieces = rings.pieces(sorted(set(frame.starts)), frame.end)
    first = {resolution: min(lo for lo, _ in ranges)
             for resolution, ranges in pieces.items() if ranges}
    first["activity"] = frame.end - last_seen_lookback
    return first


_TABLES = {"minute": "per-minute rollups", "hour": "hourly rollups", "day": "daily rollups",
           "activity": "service activity rollups"}


def check(at: datetime, now: datetime, periods: dict[str, timedelta], retention: Retention,
          last_seen_lookback: timedelta) -> TooOld | None:
    """``None`` when every row an evaluation at ``at`` reads is still kept at ``now``."""
    problem: TooOld | None = None
    candidate = at
    # Moving ``at`` forward by the shortfall fixes the table that was short; the ring edges
    # move with it, so check again (two rounds at most in practice: minutes bind first).
    for _ in range(4):
        short = _shortfall(candidate, now, periods, retention, last_seen_lookback)
        if short is None:
            return problem
        table, kept, missing = short
        candidate = rings.ceil_to(candidate + missing, timedelta(minutes=1))
        problem = TooOld(at, _TABLES[table], kept, candidate)
    return problem


def _shortfall(at: datetime, now: datetime, periods: dict[str, timedelta],
               retention: Retention, lookback: timedelta
               ) -> tuple[str, timedelta, timedelta] | None:
    worst: tuple[str, timedelta, timedelta] | None = None
    for table, first in earliest_reads(at, periods, lookback).items():
        kept: timedelta | None = getattr(retention, table)
        if kept is None:
            continue
        missing = (now - kept) - first
        if missing > timedelta(0) and (worst is None or missing > worst[2]):
            worst = (table, kept, missing)
    return worst
