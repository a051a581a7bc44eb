"""The SLI of one SLO over a time range, in buckets of ``step`` seconds, from the rollup.

Buckets start at multiples of ``step`` since the epoch; every bucket of the range is present
(``total`` 0 and ``sli`` None where no event was seen), so the points form a regular axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigie.slo import queries
from vigie.slo.catalog import SloTarget
from vigie.store import Store

MAX_POINTS = 1440
MIN_STEP_S = 60


@dataclass(frozen=True)
class Point:
    t: datetime
    good: float
    total: float

    @property
    def sli(self) -> float | None:
        return self.good / self.total if self.total > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {"t": self.t.isoformat(), "good": self.good, "total": self.total, "sli": self.sli}


def choose_step(start: datetime, end: datetime, step_s: int | None) -> int:
    """The requested step, raised to whole minutes and to at most :data:`MAX_POINTS` points."""
    span = (end - start).total_seconds()
    wanted = step_s if step_s is not None else span / 200
    fewest = span / (MAX_POINTS - 1)  # aligning the first bucket may add one
    return int(max(MIN_STEP_S, math.ceil(max(wanted, fewest) / 60) * 60))


def sli_series(
    store: Store, target: SloTarget, start: datetime, end: datetime, step_s: int
) -> list[Point]:
    # Whole buckets only: the first one starts at or before ``start``.
    first = int(start.timestamp()) // step_s * step_s
    start, end = datetime.fromtimestamp(first, UTC), end.astimezone(UTC)
    params: dict[str, Any] = {
        "service": target.app,
        "club": target.club,
        "step": step_s,
        "start": start.strftime("%Y-%m-%d %H:%M:%S"),
        "end": end.strftime("%Y-%m-%d %H:%M:%S"),
    }
    sums: dict[datetime, Point] = {}
    custom = target.custom
    if custom is not None:
        params["environment"] = target.environment or ""
        sql = queries.custom_series_sql(custom.source, custom.good, custom.total)
        for t, good, total in store.query(sql, params).rows:
            sums[t.replace(tzinfo=UTC)] = Point(t.replace(tzinfo=UTC), good, total)
    else:
        params["threshold"] = target.threshold_ms or 0
        for t, environment, route, total, errors, fast in store.query(queries.SERIES, params).rows:
            if not target.matches(environment, route):
                continue
            good = fast if target.threshold_ms is not None else total - errors
            key = t.replace(tzinfo=UTC)
            before = sums.get(key, Point(key, 0, 0))
            sums[key] = Point(key, before.good + good, before.total + total)
    buckets = range(first, int(end.timestamp()), step_s)
    moments = [datetime.fromtimestamp(b, UTC) for b in buckets]
    return [sums.get(m, Point(m, 0, 0)) for m in moments]
