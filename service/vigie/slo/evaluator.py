"""One evaluation of every SLO (:func:`evaluate`), and the :class:`Evaluator` that repeats it.

:func:`evaluate` is the separable step: counters in, one :class:`SloStatus` per SLO out, for any
instant (``vigie evaluate --at`` replays the past). The :class:`Evaluator` adds what a long-lived
service needs: a clock, the latest result kept in memory for the API, and failure handling that
never lets an exception escape a scheduled cycle.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import metrics

from vigie.errors import VigieError
from vigie.kube.signals import evaluate_kubernetes
from vigie.probes.certificates import evaluate_certificates
from vigie.slo.catalog import SloTarget
from vigie.slo.counts import LAST_SEEN_LOOKBACK, frame_at, read_counts, read_last_seen
from vigie.slo.decision import Decision, decide
from vigie.slo.probes import probe_failures
from vigie.store import Store

log = logging.getLogger(__name__)
_meter = metrics.get_meter("vigie")
_cycle_duration = _meter.create_histogram(
    "vigie.slo.cycle.duration", unit="s", description="time of one evaluation of every SLO"
)
_cycle_lag = _meter.create_histogram(
    "vigie.slo.cycle.lag", unit="s", description="how late a cycle started after its tick"
)
_cycle_failures = _meter.create_counter(
    "vigie.slo.cycle.failures", unit="{cycle}", description="evaluation cycles that failed"
)

DEFAULT_STALE_AFTER = timedelta(minutes=10)
"""A service with no span for longer than this is ``no_data``, whatever its counters say."""


@dataclass(frozen=True)
class SloStatus:
    target: SloTarget
    at: datetime
    decision: Decision
    last_seen: datetime | None
    details: dict[str, Any] = field(default_factory=dict)  # probe SLIs: {"probe": [failures]}

    def as_dict(self) -> dict[str, Any]:
        """The public form (CLI ``--json`` and API): plain JSON types."""
        d = self.decision
        slo = self.target.slo
        return {
            "club": self.target.club,
            "app": self.target.app,
            "environment": self.target.environment,
            "slo": slo.name,
            "sli": slo.sli.kind,
            "objective": slo.objective,
            "window": slo.window,
            "at": self.at.isoformat(),
            "state": d.state,
            "reason": d.reason,
            "burn_rates": dict(d.burn_rates),
            "budget_remaining": d.budget_remaining,
            "events_total": d.events_total,
            "events_bad": d.events_bad,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            **self.details,
            "alerts": [
                {
                    "pair": v.pair.name,
                    "factor": v.factor,
                    "long_burn": v.long_burn,
                    "short_burn": v.short_burn,
                    "fired": v.fired,
                    "suppressed": v.suppressed,
                }
                for v in d.pairs
            ],
        }


@dataclass(frozen=True)
class Evaluation:
    at: datetime
    statuses: tuple[SloStatus, ...]
    duration_s: float


def evaluate(
    store: Store,
    targets: Sequence[SloTarget],
    at: datetime,
    *,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    source: str = "rollup",
) -> Evaluation:
    """Evaluate every target at instant ``at`` (counts from ``source``: rollup or raw spans)."""
    started = time.perf_counter()
    at = at.astimezone(UTC)
    frame = frame_at(at, {t.slo.window: t.slo.window_timedelta for t in targets})
    counts = read_counts(store, targets, frame, source=source) if targets else {}
    seen = read_last_seen(store, targets, frame, LAST_SEEN_LOOKBACK) if targets else {}
    statuses = tuple(
        SloStatus(
            target,
            at,
            decide(
                target.policy,
                counts[target.key].windows,
                counts[target.key].period,
                last_seen=seen[target.key],
                now=at,
                stale_after=stale_after,
            ),
            seen[target.key],
        )
        for target in targets
    )
    statuses = _with_probe_details(store, statuses, at)
    return Evaluation(at, statuses, time.perf_counter() - started)


def with_verdicts(store: Store, targets: Sequence[SloTarget], result: Evaluation) -> Evaluation:
    """``result`` plus the verdicts shaped like SLOs' that the incident machinery also handles:
    HTTPS certificates of the probed sites, Kubernetes signals of the apps. Not SLOs: the
    service's cycle adds them (:meth:`Evaluator.evaluate`), replays and dashboards do not."""
    extra = tuple(
        SloStatus(target, result.at, decision, None, details)
        for verdicts in (evaluate_certificates, evaluate_kubernetes)
        for target, decision, details in (verdicts(store, targets, result.at) if targets else [])
    )
    return replace(result, statuses=result.statuses + extra)


def _with_probe_details(
    store: Store, statuses: tuple[SloStatus, ...], at: datetime
) -> tuple[SloStatus, ...]:
    """Probe SLOs: the prober's silence said as such, and what fails since when."""
    alerting = [
        s.target for s in statuses if s.target.is_probe and s.decision.state in ("ticket", "page")
    ]
    failures = probe_failures(store, alerting, at) if alerting else {}
    out = []
    for status in statuses:
        if status.target.is_probe and status.decision.state == "no_data":
            reason = "the prober has not reported a check of this app: " + status.decision.reason
            status = replace(status, decision=replace(status.decision, reason=reason))
        elif status.target.key in failures:
            found = failures[status.target.key]
            status = replace(status, details={"probe": [f.as_dict() for f in found]})
        out.append(status)
    return tuple(out)


class Evaluator:
    """Evaluates every SLO on demand or on a schedule; keeps the latest result in memory."""

    def __init__(
        self,
        store: Store,
        targets: Sequence[SloTarget],
        clock: Callable[[], datetime],
        *,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        max_age: timedelta = timedelta(minutes=2),
    ) -> None:
        self.store = store
        self.targets = list(targets)
        self.clock = clock
        self.stale_after = stale_after
        self.max_age = max_age
        self.failures = 0
        self._latest: Evaluation | None = None
        self._lock = threading.Lock()

    @property
    def latest(self) -> Evaluation | None:
        return self._latest

    def evaluate(self, at: datetime | None = None) -> Evaluation:
        """Evaluate now (or at ``at``); raises :class:`~vigie.errors.StoreError` on failure."""
        result = with_verdicts(
            self.store,
            self.targets,
            evaluate(self.store, self.targets, at or self.clock(), stale_after=self.stale_after),
        )
        if at is None:
            with self._lock:
                self._latest = result
        return result

    def fresh(self) -> Evaluation:
        """The latest evaluation if recent enough, else a new one (which may raise)."""
        latest = self._latest
        if latest is not None and self.clock() - latest.at <= self.max_age:
            return latest
        return self.evaluate()

    def run_cycle(self, lag_s: float = 0.0) -> Evaluation | None:
        """One scheduled cycle: never raises; failures are logged, counted, retried next tick."""
        try:
            result = self.evaluate()
        except VigieError as exc:
            self._failed(exc, expected=True)
            return None
        except Exception as exc:  # the edge of a scheduled job: keep the scheduler alive
            self._failed(exc, expected=False)
            return None
        _cycle_duration.record(result.duration_s)
        _cycle_lag.record(lag_s)
        log.info(
            "slo evaluation cycle",
            extra={
                "duration_s": round(result.duration_s, 4),
                "lag_s": round(lag_s, 4),
                "slos": len(result.statuses),
                "states": _tally(result),
            },
        )
        return result

    def _failed(self, exc: BaseException, *, expected: bool) -> None:
        self.failures += 1
        _cycle_failures.add(1)
        if expected:
            log.warning("slo evaluation cycle failed: %s", exc)
        else:
            log.exception("slo evaluation cycle failed unexpectedly")


def _tally(result: Evaluation) -> dict[str, int]:
    tally: dict[str, int] = {}
    for status in result.statuses:
        tally[status.decision.state] = tally.get(status.decision.state, 0) + 1
    return tally
