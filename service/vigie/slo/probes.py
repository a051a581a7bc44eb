"""Probe SLIs (``sli: {kind: probe}``): counts, "last seen" and what is wrong, per SLO.

A probe SLO counts the checks of every probe of its file (``probes:``), read from the probe
rollup (:mod:`vigie.store.migrations.m0075_probe_rollup`): good = answered with the probe's
``expect_status`` (less the checks whose body validation failed), total = every check. The
windows are the span SLOs' windows, cut into the same rings, so the burn-rate decision is the
same function. Three queries per cycle, whatever the number of probes: counts, last seen, and
(only for the URLs failing now) what went wrong since when.

"Last seen" of a probe SLO is the prober's last check of any of its URLs: a prober that stops
reporting makes the SLO ``no_data`` (told to the admins), never a page to the club.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.probes import metrics as m
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import Counts
from vigie.store import Store
from vigie.store.migrations.m0075_probe_rollup import ROLLUP

Key = tuple[str, str, str, str]

# How far back "failing since" looks: past it, the site is "down since at least" that far.
FACTS_LOOKBACK = timedelta(hours=24)

_COUNTS = f"""\
SELECT Url, Outcome, {{ring}} AS ring, sum(Checks)
FROM {ROLLUP}
WHERE Url IN {{{{urls:Array(String)}}}}
  AND Minute >= {{{{start:DateTime('UTC')}}}} AND Minute < {{{{end:DateTime('UTC')}}}}
GROUP BY Url, Outcome, ring"""

LAST_SEEN = f"""\
SELECT Url, max(Minute)
FROM {ROLLUP}
WHERE Url IN {{urls:Array(String)}}
  AND Minute >= {{since:DateTime('UTC')}} AND Minute <= {{until:DateTime('UTC')}}
GROUP BY Url"""

_HISTORY = f"""\
SELECT Url, Minute, Outcome, sum(Checks)
FROM {ROLLUP}
WHERE Url IN {{urls:Array(String)}}
  AND Minute >= {{since:DateTime('UTC')}} AND Minute <= {{until:DateTime('UTC')}}
GROUP BY Url, Minute, Outcome
ORDER BY Url, Minute"""

LAST_ERROR = f"""\
SELECT Attributes['{m.URL}'] AS url, argMax(Attributes['{m.ERROR_MESSAGE}'], TimeUnix)
FROM otel_metrics_sum
WHERE MetricName = '{m.ERROR}' AND Value > 0
  AND TimeUnix >= {{since:DateTime('UTC')}} AND TimeUnix <= {{until:DateTime('UTC')}}
  AND Attributes['{m.URL}'] IN {{urls:Array(String)}}
GROUP BY url"""


def counts_sql(bounds: int) -> str:
    """Checks per URL, outcome and ring (``bound_<i>`` ascending, like the span counts)."""
    ring = " + ".join(f"(Minute >= {{bound_{i}:DateTime('UTC')}})" for i in range(bounds))
    return _COUNTS.format(ring=ring)


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def probe_counts(
    store: Store, targets: Sequence[SloTarget], starts: Sequence[datetime], end: datetime
) -> dict[Key, list[Counts]]:
    """Counts per target and window (windows starting at ``starts``, all ending at ``end``)."""
    bounds = sorted(set(starts))
    expects = {p.url: str(p.expect_status) for t in targets for p in t.probes}
    params: dict[str, Any] = {
        "urls": sorted(expects),
        "start": _text(bounds[0]),
        "end": _text(end),
        **{f"bound_{i}": _text(b) for i, b in enumerate(bounds)},
    }
    by_url: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for url, outcome, ring, checks in store.query(counts_sql(len(bounds)), params).rows:
        good = int(checks) if outcome == expects[url] else 0
        by_url[url].append((int(ring), int(checks), good))
    result: dict[Key, list[Counts]] = {}
    for target in targets:
        totals = [0] * (len(bounds) + 1)
        goods = [0] * (len(bounds) + 1)
        for probe in target.probes:
            for ring, total, good in by_url[probe.url]:
                totals[ring] += total
                goods[ring] += good
        windows = []
        for start in starts:
            first = bounds.index(start) + 1
            total, good = sum(totals[first:]), sum(goods[first:])
            windows.append(Counts(total, total - good))
        result[target.key] = windows
    return result


def probe_last_seen(
    store: Store, targets: Sequence[SloTarget], now: datetime, lookback: timedelta
) -> dict[Key, datetime | None]:
    """The last minute with a check of any of each target's URLs, up to ``now``."""
    rows = store.query(
        LAST_SEEN,
        {
            "urls": sorted({p.url for t in targets for p in t.probes}),
            "since": _text(now - lookback),
            "until": _text(now),
        },
    ).rows
    seen = {url: minute.replace(tzinfo=UTC) for url, minute in rows}
    return {
        t.key: max((seen[p.url] for p in t.probes if p.url in seen), default=None)
        for t in targets
    }


@dataclass(frozen=True)
class ProbeFailure:
    """What a failing probe shows: since when, and how (plain data for the notices)."""

    url: str
    since: datetime  # first failing minute after the last good one (or of the look-back)
    outcome: str  # "error", "invalid", or the status code answered ("503")
    error: str | None  # the prober's message when there was no answer ("connection refused")

    @property
    def error_kind(self) -> str:
        """The prober's error in a few plain kinds the notices can say in any language."""
        text = (self.error or "").lower()
        for kind, needles in _ERROR_KINDS:
            if any(needle in text for needle in needles):
                return kind
        return "other"

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "since": self.since.isoformat(),
            "outcome": self.outcome,
            "error": self.error,
            "error_kind": self.error_kind if self.outcome == "error" else None,
        }


# Go's net/http and crypto/tls error texts, as the http_check receiver reports them.
_ERROR_KINDS = (
    ("refused", ("connection refused",)),
    ("timeout", ("timeout", "deadline exceeded")),
    ("dns", ("no such host", "server misbehaving", "name or service not known")),
    ("tls", ("x509", "certificate", "tls:")),
    ("reset", ("connection reset", "eof")),
)


def probe_failures(
    store: Store, targets: Sequence[SloTarget], now: datetime
) -> dict[Key, list[ProbeFailure]]:
    """For each target, its probes whose latest check failed (two queries for all of them)."""
    expected = {p.url: str(p.expect_status) for t in targets for p in t.probes}
    params = {"urls": sorted(expected), "since": _text(now - FACTS_LOOKBACK), "until": _text(now)}
    minutes: dict[str, dict[datetime, dict[str, int]]] = defaultdict(dict)
    for url, minute, outcome, checks in store.query(_HISTORY, params).rows:
        minutes[url].setdefault(minute.replace(tzinfo=UTC), {})[outcome] = int(checks)
    failing: dict[str, tuple[datetime, str]] = {}
    for url, by_minute in minutes.items():
        streak: tuple[datetime, str] | None = None
        for minute in sorted(by_minute):
            outcome = _minute_outcome(by_minute[minute], expected[url])
            if outcome is None:
                streak = None
            elif streak is None:
                streak = (minute, outcome)
            else:
                streak = (streak[0], outcome)
        if streak is not None:
            failing[url] = streak
    errors: dict[str, str] = {}
    if any(outcome == "error" for _, outcome in failing.values()):
        errors = dict(store.query(LAST_ERROR, {**params, "urls": sorted(failing)}).rows)
    return {
        t.key: [
            ProbeFailure(p.url, failing[p.url][0], failing[p.url][1], errors.get(p.url))
            for p in t.probes
            if p.url in failing
        ]
        for t in targets
    }


def _minute_outcome(outcomes: dict[str, int], expected: str) -> str | None:
    """None when the minute's checks were all good, else its most telling failure: no answer,
    then a wrong status, then a body without the expected text."""
    bad = {o: n for o, n in outcomes.items() if o != expected}
    if not bad:
        return None
    if "error" in bad:
        return "error"
    statuses = [o for o in bad if o != "invalid"]
    return max(statuses, key=bad.__getitem__) if statuses else "invalid"
