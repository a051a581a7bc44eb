"""Counts per service version over a rollout's analysis window, cut into one sample per SLO.

The I/O is :func:`read_version_counts` (one query); :func:`comparisons` is plain data: it applies
each SLO's environment and route filter and its latency threshold to the rows, and splits them
into the canary's sample and the stable one's (the named stable version, or every other version
when none is named).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from vigie.slo import queries
from vigie.slo.canary import Sample, SloComparison
from vigie.slo.catalog import SloTarget
from vigie.store import Store


@dataclass(frozen=True)
class VersionRow:
    version: str
    environment: str
    route: str
    le: int  # latency grid bucket (ms, rounded up)
    total: int
    errors: int


def read_version_counts(store: Store, app: str, start: datetime, end: datetime
                        ) -> list[VersionRow]:
    """Server spans of ``app`` in ``[start, end)`` (whole minutes) by version and bucket."""
    rows = store.query(queries.VERSION_COUNTS, {
        "app": app,
        "start": start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "end": end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }).rows
    return [VersionRow(str(v), str(e), str(r), int(le), int(t), int(x))
            for v, e, r, le, t, x in rows]


def versions_seen(rows: Sequence[VersionRow]) -> list[str]:
    return sorted({row.version for row in rows})


def comparisons(targets: Sequence[SloTarget], rows: Sequence[VersionRow], canary: str,
                stable: str | None) -> list[SloComparison]:
    """One comparison per availability or latency SLO (custom SLIs are not split by version)."""
    out = []
    for target in targets:
        if target.custom is not None:
            continue
        mine = [row for row in rows if target.matches(row.environment, row.route)]
        canary_rows = [row for row in mine if row.version == canary]
        stable_rows = [row for row in mine if row.version != canary
                       and (stable is None or row.version == stable)]
        out.append(SloComparison(target.name, target.kind, target.slo.objective,
                                 _sample(target, canary_rows), _sample(target, stable_rows)))
    return out


def _sample(target: SloTarget, rows: Sequence[VersionRow]) -> Sample:
    total = sum(row.total for row in rows)
    threshold = target.threshold_ms
    if threshold is None:
        return Sample(total, sum(row.errors for row in rows))
    return Sample(total, sum(row.total for row in rows if row.le > threshold))
