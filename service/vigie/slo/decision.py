"""The verdict on one SLO: a plain function of its event counts and settings.

States, strongest first:

* ``no_data`` — the service's telemetry is stale, or the SLO saw no event in the last hour:
  silence is never reported as health;
* ``page`` — a page pair fires (both its windows burn at least its factor);
* ``low_traffic`` — a pair would fire but its long window holds fewer than ``min_events``
  events: too few to alert on (one failure among 10 requests is a 100% error ratio). It outranks
  ``ticket`` because on thin traffic a slow-burn verdict is usually the same few failures;
* ``ticket`` — a ticket pair fires;
* ``ok``.

A pair whose severity is switched off in the SLO's ``alerts`` never fires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from vigie.slo.windows import PAIRS, PRESENCE_WINDOW, WINDOWS, AlertPair

State = Literal["ok", "ticket", "page", "low_traffic", "no_data"]
STATES: tuple[State, ...] = ("ok", "ticket", "page", "low_traffic", "no_data")


@dataclass(frozen=True)
class Counts:
    """Events of one window: all of them, and the bad ones."""

    total: float = 0
    bad: float = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.total + other.total, self.bad + other.bad)

    @property
    def error_ratio(self) -> float | None:
        return self.bad / self.total if self.total > 0 else None


@dataclass(frozen=True)
class Policy:
    """What the decision needs from an SLO definition."""

    objective: float  # percent, e.g. 99.9
    period: timedelta
    min_events: int = 1
    page: bool = True
    ticket: bool = True

    @property
    def budget(self) -> float:
        return (100 - self.objective) / 100


@dataclass(frozen=True)
class PairVerdict:
    pair: AlertPair
    factor: float
    long_burn: float | None
    short_burn: float | None
    fired: bool
    suppressed: str | None = None  # why a burning pair did not fire


@dataclass(frozen=True)
class Decision:
    state: State
    reason: str
    burn_rates: dict[str, float | None]
    budget_remaining: float | None
    events_total: float
    events_bad: float
    pairs: tuple[PairVerdict, ...] = field(default=())


# Burn rates are ratios of floats; a rate equal to its threshold on paper must still fire.
_TOLERANCE = 1e-9


def burn_rate(counts: Counts, budget: float) -> float | None:
    ratio = counts.error_ratio
    return None if ratio is None else ratio / budget


def decide(
    policy: Policy,
    windows: Mapping[str, Counts],
    period_counts: Counts,
    *,
    last_seen: datetime | None,
    now: datetime,
    stale_after: timedelta,
) -> Decision:
    """Burn rates, pair verdicts and state from the counts of every window in :data:`WINDOWS`."""
    burns = {label: burn_rate(windows.get(label, Counts()), policy.budget) for label in WINDOWS}
    budget_remaining = (
        None
        if period_counts.total <= 0
        else 1 - period_counts.bad / (policy.budget * period_counts.total)
    )
    verdicts = tuple(_judge(pair, policy, windows, burns) for pair in PAIRS)

    def result(state: State, reason: str) -> Decision:
        return Decision(
            state,
            reason,
            burns,
            budget_remaining,
            period_counts.total,
            period_counts.bad,
            verdicts,
        )

    if last_seen is None:
        return result("no_data", "no telemetry from this service in the look-back period")
    if now - last_seen > stale_after:
        return result("no_data", f"no telemetry since {last_seen.isoformat()} (stale)")
    if windows.get(PRESENCE_WINDOW, Counts()).total <= 0:
        return result("no_data", f"no event in the last {PRESENCE_WINDOW}")
    pages = [v for v in verdicts if v.fired and v.pair.severity == "page"]
    thin = [v for v in verdicts if v.suppressed == "low_traffic"]
    tickets = [v for v in verdicts if v.fired and v.pair.severity == "ticket"]
    ranked: tuple[tuple[State, list[PairVerdict]], ...] = (
        ("page", pages),
        ("low_traffic", thin),
        ("ticket", tickets),
    )
    for state, hits in ranked:
        if hits:
            return result(state, "; ".join(_describe(v) for v in hits))
    return result("ok", "no alert pair burns at its threshold")


def _judge(
    pair: AlertPair,
    policy: Policy,
    windows: Mapping[str, Counts],
    burns: Mapping[str, float | None],
) -> PairVerdict:
    factor = pair.factor(policy.period)
    long_burn, short_burn = burns[pair.long], burns[pair.short]
    burning = (
        long_burn is not None
        and short_burn is not None
        and long_burn >= factor * (1 - _TOLERANCE)
        and short_burn >= factor * (1 - _TOLERANCE)
    )
    suppressed: str | None = None
    if burning and not (policy.page if pair.severity == "page" else policy.ticket):
        suppressed = "disabled"
    elif burning and windows.get(pair.long, Counts()).total < policy.min_events:
        suppressed = "low_traffic"
    return PairVerdict(
        pair, factor, long_burn, short_burn, burning and suppressed is None, suppressed
    )


def _describe(verdict: PairVerdict) -> str:
    pair = verdict.pair
    text = (
        f"{pair.name}: burn {_fmt(verdict.long_burn)} over {pair.long} and "
        f"{_fmt(verdict.short_burn)} over {pair.short} >= {verdict.factor:.3g}"
    )
    if verdict.suppressed == "low_traffic":
        text += " but too few events in the long window"
    return text


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"
