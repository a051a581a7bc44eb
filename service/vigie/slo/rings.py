"""Cutting nested windows into rings, and rings into whole days, hours and minutes.

All windows of an evaluation end at the same minute, so their starts, sorted, cut time into
rings ``[bounds[i], bounds[i + 1])`` (the last one ends at ``end``); a window is the union of
the rings from its start on. Each ring is read from the coarsest rollup that fits: whole UTC
days, then whole hours at its edges, then minutes at the very edges. A rollup row then never
straddles a ring boundary, and the number of rows read is bounded by the number of series
times about 30 days + 100 hours + a few hundred minutes, whatever the raw volume.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

Range = tuple[datetime, datetime]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def floor_to(moment: datetime, unit: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (moment - epoch) // unit * unit


def ceil_to(moment: datetime, unit: timedelta) -> datetime:
    floored = floor_to(moment, unit)
    return floored if floored == moment else floored + unit


def split(start: datetime, end: datetime) -> dict[str, list[Range]]:
    """``[start, end)`` (whole minutes) as day, hour and minute ranges, coarsest first."""
    out: dict[str, list[Range]] = {"day": [], "hour": [], "minute": []}
    _split(start, end, ((DAY, "day"), (HOUR, "hour")), out)
    return out


def _split(
    start: datetime,
    end: datetime,
    units: tuple[tuple[timedelta, str], ...],
    out: dict[str, list[Range]],
) -> None:
    if start >= end:
        return
    if not units:
        out["minute"].append((start, end))
        return
    (unit, name), finer = units[0], units[1:]
    inner_start, inner_end = ceil_to(start, unit), floor_to(end, unit)
    if inner_start >= inner_end:
        _split(start, end, finer, out)
        return
    _split(start, inner_start, finer, out)
    out[name].append((inner_start, inner_end))
    _split(inner_end, end, finer, out)


def pieces(bounds: list[datetime], end: datetime) -> dict[str, list[Range]]:
    """The ranges to read from each rollup to cover every ring, adjacent ranges merged."""
    merged: dict[str, list[Range]] = {"day": [], "hour": [], "minute": []}
    for lo, hi in zip(bounds, [*bounds[1:], end], strict=True):
        for resolution, ranges in split(lo, hi).items():
            merged[resolution].extend(ranges)
    return {resolution: _merge(ranges) for resolution, ranges in merged.items()}


def _merge(ranges: list[Range]) -> list[Range]:
    out: list[Range] = []
    for lo, hi in sorted(ranges):
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out
