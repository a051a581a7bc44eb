"""Judging a canary: is the new version significantly worse than the stable one, or than the SLO?

Plain functions over counts. For each SLO of the app (availability, or latency at its
threshold) a request is *bad* when it failed (availability) or was slower than the threshold
(latency). The canary is compared over the analysis window with:

* the stable version, by **Fisher's exact test**, one-sided (is the canary's bad ratio higher?).
  It is exact for any counts, so small samples are judged on their real probabilities, not on a
  normal approximation that small counts break;
* the SLO's objective, by the **exact binomial test**, one-sided (could a version that meets
  the objective have produced this many bad requests?).

Verdicts, for an Argo Rollouts analysis:

* ``inconclusive`` while the canary has served fewer than ``min_requests`` requests in the
  window (3 errors in 20 requests is no verdict), whatever the tests say;
* ``fail`` when, for some SLO, the canary is significantly worse than stable (p < ``alpha``), or
  significantly worse than the objective *and* not significantly better than stable: an old
  version's trouble (stable burning too) never blocks a canary that does better;
* ``ok`` otherwise.

Budget exhaustion plays no part: a canary that stops the burn is the fix, and must ship.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "fail", "inconclusive"]

DEFAULT_MIN_REQUESTS = 30
DEFAULT_ALPHA = 0.01


@dataclass(frozen=True)
class Sample:
    """Requests of one version over the window, and how many were bad for one SLO."""

    total: int
    bad: int

    @property
    def ratio(self) -> float:
        return self.bad / self.total if self.total else 0.0


@dataclass(frozen=True)
class SloComparison:
    """One SLO: the canary's and stable's samples and the objective (a percentage)."""

    slo: str
    kind: str  # availability | latency
    objective: float
    canary: Sample
    stable: Sample


@dataclass(frozen=True)
class Finding:
    slo: str
    worse_than_stable_p: float | None  # None: stable served nothing
    better_than_stable_p: float | None
    worse_than_objective_p: float
    failed: bool
    reason: str


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    findings: tuple[Finding, ...]


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_greater(a: int, n1: int, b: int, n2: int) -> float:
    """P(canary's bad count >= ``a``) if both versions shared one bad ratio (hypergeometric).

    ``a`` of ``n1`` canary requests and ``b`` of ``n2`` stable ones were bad; the one-sided
    p-value of Fisher's exact test for "the canary's ratio is higher".
    """
    bad, total = a + b, n1 + n2
    if n1 == 0 or n2 == 0 or bad == 0:
        return 1.0
    low, high = max(a, bad - n2, 0), min(n1, bad)
    denominator = _log_choose(total, n1)
    return min(1.0, sum(
        math.exp(_log_choose(bad, k) + _log_choose(total - bad, n1 - k) - denominator)
        for k in range(low, high + 1)
    ))


def binomial_greater(bad: int, total: int, allowed: float) -> float:
    """P(X >= ``bad``) for X ~ Binomial(``total``, ``allowed``): the exact one-sided test."""
    if bad <= 0:
        return 1.0
    if allowed <= 0:
        return 0.0
    if allowed >= 1:
        return 1.0
    log_p, log_q = math.log(allowed), math.log1p(-allowed)
    below = sum(math.exp(_log_choose(total, k) + k * log_p + (total - k) * log_q)
                for k in range(bad))
    return max(0.0, 1.0 - below)


def compare(item: SloComparison, alpha: float) -> Finding:
    canary, stable = item.canary, item.stable
    allowed = 1 - item.objective / 100
    worse_obj = binomial_greater(canary.bad, canary.total, allowed)
    worse = better = None
    if stable.total:
        worse = fisher_greater(canary.bad, canary.total, stable.bad, stable.total)
        better = fisher_greater(stable.bad, stable.total, canary.bad, canary.total)
    what = "slow" if item.kind == "latency" else "failed"
    shares = f"canary {canary.bad}/{canary.total} {what} ({canary.ratio:.1%})"
    if stable.total:
        shares += f", stable {stable.bad}/{stable.total} ({stable.ratio:.1%})"
    if worse is not None and worse < alpha:
        return Finding(item.slo, worse, better, worse_obj, True,
                       f"{item.slo}: {shares}: significantly worse than stable (p={worse:.2g})")
    if worse_obj < alpha and not (better is not None and better < alpha):
        return Finding(item.slo, worse, better, worse_obj, True,
                       f"{item.slo}: {shares}: significantly worse than the "
                       f"{item.objective:g}% objective (p={worse_obj:.2g}) and no better than "
                       "stable")
    return Finding(item.slo, worse, better, worse_obj, False, f"{item.slo}: {shares}")


def judge(
    items: Sequence[SloComparison],
    *,
    min_requests: int = DEFAULT_MIN_REQUESTS,
    alpha: float = DEFAULT_ALPHA,
) -> Judgement:
    """The canary's verdict over every SLO of the app, with the reason."""
    if not items:
        return Judgement("inconclusive", "no availability or latency SLO to compare", ())
    served = max(item.canary.total for item in items)
    findings = tuple(compare(item, alpha) for item in items)
    if served < min_requests:
        return Judgement(
            "inconclusive",
            f"the canary served {served} requests in the window; {min_requests} are needed "
            "for a verdict",
            findings,
        )
    failed = [f.reason for f in findings if f.failed]
    if failed:
        return Judgement("fail", "; ".join(failed), findings)
    return Judgement("ok", "the canary is not significantly worse than stable or the objective",
                     findings)
