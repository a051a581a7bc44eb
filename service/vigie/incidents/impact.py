"""An incident's impact, measured on the per-minute rollup: when users started and stopped
suffering, and how many of their requests failed meanwhile.

The alert's lifetime (opened → resolved) is not the outage: detection lags the first bad minute
and the resolution waits for a few clean evaluations. The impact is read from the SLI itself:

* a *bad minute* has traffic and a bad-event ratio above the SLO's error budget (out of
  objective);
* the *impact start* is the first bad minute of the run of bad minutes that led to the alert:
  walking back from the minute the incident opened, up to :data:`LOOKBACK`, stopping at
  :data:`QUIET_GAP` minutes in a row without a bad minute. No bad minute: the opening minute;
* the *impact end* is the minute after the last bad minute before ``until`` (the resolution, or
  now while the incident is open): from there on the SLI stayed within objective;
* *failed* and *total* count the events of ``[impact start, impact end)``.

Pure functions over :class:`~vigie.reports.queries.Minute` lists, and :func:`measure`, which reads
them (one query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vigie.reports.queries import Minute, Scope, sli_minutes
from vigie.store import Store

LOOKBACK = timedelta(hours=24)
QUIET_GAP = 15  # minutes
MINUTE = timedelta(minutes=1)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def ceil_minute(moment: datetime) -> datetime:
    floor = floor_minute(moment)
    return floor if floor == moment else floor + MINUTE


def is_bad(minute: Minute, error_budget: float) -> bool:
    return minute.total > 0 and minute.bad / minute.total > error_budget


def impact_start(minutes: Sequence[Minute], opened_at: datetime, error_budget: float) -> datetime:
    """See the module docstring. ``minutes``: the SLI per minute up to the opening minute."""
    opened = floor_minute(opened_at)
    bad = {m.at for m in minutes if m.at <= opened and is_bad(m, error_budget)}
    start, cursor, quiet = opened, opened, 0
    while quiet < QUIET_GAP and cursor >= opened - LOOKBACK:
        if cursor in bad:
            start, quiet = cursor, 0
        else:
            quiet += 1
        cursor -= MINUTE
    return start


def impact_end(
    minutes: Sequence[Minute], start: datetime, until: datetime, error_budget: float
) -> datetime:
    """The minute after the last bad minute of ``[start, until)`` (at least ``start`` + 1 min)."""
    last = max(
        (m.at for m in minutes if start <= m.at < until and is_bad(m, error_budget)),
        default=start,
    )
    return last + MINUTE


@dataclass(frozen=True)
class Impact:
    start: datetime
    end: datetime
    failed: int
    total: int

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def error_ratio(self) -> float | None:
        return self.failed / self.total if self.total else None

    def as_cause(self) -> dict[str, Any]:
        """The JSON form stored in a ``resolved`` event's cause."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "failed": self.failed,
            "total": self.total,
        }

    @classmethod
    def from_cause(cls, data: Any) -> Impact | None:
        if not isinstance(data, dict) or "start" not in data:
            return None
        return cls(
            datetime.fromisoformat(str(data["start"])),
            datetime.fromisoformat(str(data["end"])),
            int(data["failed"]),
            int(data["total"]),
        )


def impact_of(
    minutes: Sequence[Minute], opened_at: datetime, until: datetime, error_budget: float
) -> Impact:
    """The impact of an incident opened at ``opened_at``, judged up to ``until`` (pure)."""
    start = impact_start(minutes, opened_at, error_budget)
    end = impact_end(minutes, start, floor_minute(until), error_budget)
    inside = [m for m in minutes if start <= m.at < end]
    return Impact(start, end, sum(m.bad for m in inside), sum(m.total for m in inside))


def measure(store: Store, scope: Scope, opened_at: datetime, until: datetime) -> Impact:
    """:func:`impact_of` on the rollup's minutes (one query)."""
    opened = floor_minute(opened_at)
    last = max(ceil_minute(until), opened + MINUTE)
    minutes = sli_minutes(store, scope, opened - LOOKBACK, last)
    return impact_of(minutes, opened_at, until, scope.slo.error_budget)
