"""Reading event counts for every SLO and window in a constant number of queries.

One query counts availability and latency events per service, club, environment, route and
ring for all windows at once (:func:`vigie.slo.queries.counts_sql`); Python then adds up the
rows each SLO's club (the target's, or none), environment and route filter selects, and the
rings of each window. Custom SLIs take one more query, service activity ("last seen") another:
three queries per cycle at most, whatever the number of SLOs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.slo import probes, queries, rings
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import Counts
from vigie.slo.pixie import pixie_service, with_pixie
from vigie.slo.windows import WINDOWS
from vigie.store import Store

Key = tuple[str, str, str, str]

LAST_SEEN_LOOKBACK = max(WINDOWS.values())
"""How far back an evaluation looks for an app's last span (``no_data`` after that)."""


@dataclass(frozen=True)
class Frame:
    """The windows of one evaluation: each label's first minute, and one exclusive end minute.

    Only complete minutes count: ``end`` is the start of the minute ``now`` falls in, so an alert
    window ``W`` covers ``[end - W, end)``.
    """

    now: datetime
    end: datetime
    labels: tuple[str, ...]
    starts: tuple[datetime, ...]

    def index(self, label: str) -> int:
        return self.labels.index(label)


def frame_at(now: datetime, periods: dict[str, timedelta]) -> Frame:
    """The frame of the alert windows plus the SLO periods (``{"30d": timedelta(days=30)}``).

    Alert windows start exactly their length before ``end``. An SLO period (the error budget's
    window) starts at the first UTC midnight inside it, so it spans N-1 to N days: its far edge
    then needs no hourly rows, and a budget is a ratio that one day less barely moves.
    """
    now = now.astimezone(UTC)
    end = now.replace(second=0, microsecond=0)
    labels = [*WINDOWS, *sorted(periods, key=lambda label: periods[label])]
    starts = [end - span for span in WINDOWS.values()]
    starts += [rings.ceil_to(end - periods[label], rings.DAY) for label in labels[len(WINDOWS) :]]
    return Frame(now, end, tuple(labels), tuple(starts))


@dataclass(frozen=True)
class SloCounts:
    """Counts of one SLO: per alert window, and over its own period (for the budget)."""

    windows: dict[str, Counts]
    period: Counts


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _window_params(frame: Frame) -> dict[str, Any]:
    return {
        "starts": [_text(s) for s in frame.starts],
        "start": _text(min(frame.starts)),
        "end": _text(frame.end),
    }


def read_counts(
    store: Store, targets: Sequence[SloTarget], frame: Frame, *, source: str = "rollup"
) -> dict[Key, SloCounts]:
    """Counts for every target; ``source="raw"`` reads ``otel_traces`` instead of the rollup."""
    per_label: dict[Key, list[Counts]] = {}
    spans = [t for t in targets if t.custom is None and not t.is_probe]
    if spans:
        per_label.update(_span_counts(store, spans, frame, source))
    custom = [t for t in targets if t.custom is not None]
    if custom:
        per_label.update(_custom_counts(store, custom, frame))
    probed = [t for t in targets if t.is_probe]
    if probed:
        per_label.update(probes.probe_counts(store, probed, frame.starts, frame.end))
    result = {}
    for target in targets:
        counts = per_label.get(target.key) or [Counts()] * len(frame.labels)
        result[target.key] = SloCounts(
            windows={label: counts[frame.index(label)] for label in WINDOWS},
            period=counts[frame.index(target.slo.window)],
        )
    return result


def _span_counts(
    store: Store, targets: Sequence[SloTarget], frame: Frame, source: str
) -> dict[Key, list[Counts]]:
    thresholds = sorted({t.threshold_ms for t in targets if t.threshold_ms is not None})
    bounds = sorted(set(frame.starts))
    params: dict[str, Any] = {
        "start": _text(bounds[0]),
        "end": _text(frame.end),
        "services": with_pixie({t.app for t in targets}),
        **{f"bound_{i}": _text(b) for i, b in enumerate(bounds)},
        **{f"threshold_{i}": t for i, t in enumerate(thresholds)},
    }
    ranges = rings.pieces(bounds, frame.end)
    for resolution, parts in ranges.items():
        for i, (lo, hi) in enumerate(parts):
            params[queries.piece_param(resolution, i, "lo")] = _text(lo)
            params[queries.piece_param(resolution, i, "hi")] = _text(hi)
    sql = queries.counts_sql(
        source,
        bounds=len(bounds),
        thresholds=len(thresholds),
        pieces={resolution: len(parts) for resolution, parts in ranges.items()},
    )
    by_service: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for service, *series in store.query(sql, params).rows:
        by_service[service].append(tuple(series))  # club, environment, route, ring, counts
    # ring r (from 1) is [bounds[r - 1], bounds[r]); the window starting at bounds[j] holds
    # rings j + 1 and later.
    start_ring = {
        label: bounds.index(start) for label, start in zip(frame.labels, frame.starts, strict=True)
    }
    slots = {threshold: i for i, threshold in enumerate(thresholds)}
    result: dict[Key, list[Counts]] = {}
    for target in targets:
        threshold = target.threshold_ms
        slot = None if threshold is None else slots[threshold]
        totals = [0] * (len(bounds) + 1)
        bads = [0] * (len(bounds) + 1)
        # Pixie's spans stand in for an app that sent no SDK span in these windows.
        rows = by_service[target.app] or by_service[pixie_service(target.app)]
        for club, environment, route, ring, total, errors, fast in rows:
            if club in (target.club, "") and target.matches(environment, route):
                totals[ring] += total
                bads[ring] += errors if slot is None else total - fast[slot]
        suffix = [Counts()] * (len(bounds) + 2)
        total_sum = bad_sum = 0
        for ring in range(len(bounds), 0, -1):
            total_sum += totals[ring]
            bad_sum += bads[ring]
            suffix[ring] = Counts(total_sum, bad_sum)
        result[target.key] = [suffix[start_ring[label] + 1] for label in frame.labels]
    return result


def _custom_counts(
    store: Store, targets: Sequence[SloTarget], frame: Frame
) -> dict[Key, list[Counts]]:
    params: dict[str, Any] = _window_params(frame)
    branches = []
    for index, target in enumerate(targets):
        sli = target.custom
        assert sli is not None
        branches.append((index, sli.source, sli.good, sli.total))
        params[f"service_{index}"] = target.app
        params[f"club_{index}"] = target.club
        params[f"environment_{index}"] = target.environment or ""
    result = {t.key: [Counts()] * len(frame.labels) for t in targets}
    for index, window, good, total in store.query(queries.custom_sql(branches), params).rows:
        key = targets[int(index)].key
        result[key][int(window) - 1] = Counts(total, max(total - good, 0.0))
    return result


def read_last_seen(
    store: Store, targets: Sequence[SloTarget], frame: Frame, lookback: timedelta
) -> dict[Key, datetime | None]:
    """The last minute with any span of each target's service (and environment, if it has one);
    for a probe SLI, the prober's last check of its URLs.

    Minutes after ``now`` are ignored, so evaluating a past instant sees the past.
    """
    probed = [t for t in targets if t.is_probe]
    result: dict[Key, datetime | None] = (
        probes.probe_last_seen(store, probed, frame.now, lookback) if probed else {}
    )
    targets = [t for t in targets if not t.is_probe]
    if not targets:
        return result
    rows = store.query(
        queries.LAST_SEEN,
        {
            "services": with_pixie({t.app for t in targets}),
            "since": _text(frame.end - lookback),
            "until": _text(frame.now),
        },
    ).rows
    seen: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
    for service, club, environment, minute in rows:
        app = service.removeprefix(pixie_service(""))  # Pixie's spans show the app is alive
        seen[app].append((club, environment, minute.replace(tzinfo=UTC)))
    for target in targets:
        result[target.key] = max(
            (
                moment
                for club, environment, moment in seen[target.app]
                if club in (target.club, "")
                and (target.environment is None or environment == target.environment)
            ),
            default=None,
        )
    return result


def read_engine_now(store: Store) -> datetime:
    """The store's own clock: what its TTLs are measured against."""
    (seconds,) = store.query(queries.ENGINE_NOW).rows[0]
    return datetime.fromtimestamp(int(seconds), UTC)
