"""The canary's statistics, checked against independent computations (exact sums, scipy-free)."""

from __future__ import annotations

import itertools
import math

import pytest

from vigie.slo.canary import Sample, SloComparison, binomial_greater, fisher_greater, judge


def _hypergeom_tail(a: int, n1: int, b: int, n2: int) -> float:
    """P(X >= a): enumerate every way to draw n1 of the n1+n2 requests (tiny cases only)."""
    population = [1] * (a + b) + [0] * (n1 + n2 - a - b)
    draws = list(itertools.combinations(range(len(population)), n1))
    hits = sum(1 for d in draws if sum(population[i] for i in d) >= a)
    return hits / len(draws)


@pytest.mark.parametrize(("a", "n1", "b", "n2"),
                         [(2, 4, 0, 5), (1, 3, 1, 4), (3, 5, 2, 5), (0, 3, 2, 4), (4, 4, 0, 4)])
def test_fisher_equals_enumeration(a: int, n1: int, b: int, n2: int) -> None:
    assert fisher_greater(a, n1, b, n2) == pytest.approx(_hypergeom_tail(a, n1, b, n2))


def test_binomial_tail_equals_the_sum() -> None:
    n, p = 40, 0.05
    for k in range(0, 8):
        want = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))
        assert binomial_greater(k, n, p) == pytest.approx(want, abs=1e-12)


def _availability(canary: tuple[int, int], stable: tuple[int, int],
                  objective: float = 99.9) -> list[SloComparison]:
    return [SloComparison("availability", "availability", objective, Sample(*canary),
                          Sample(*stable))]


def test_three_errors_in_twenty_requests_is_no_verdict() -> None:
    judgement = judge(_availability((20, 3), (180, 0)))
    assert judgement.verdict == "inconclusive"
    assert "20 requests" in judgement.reason


def test_a_clearly_worse_canary_fails_and_says_why() -> None:
    judgement = judge(_availability((40, 12), (360, 0)))
    assert judgement.verdict == "fail"
    assert "significantly worse than stable" in judgement.reason
    assert "canary 12/40 failed (30.0%)" in judgement.reason


def test_as_good_as_stable_passes() -> None:
    assert judge(_availability((200, 2), (1800, 18)), ).verdict == "ok"


def test_a_clean_canary_passes_while_stable_burns() -> None:
    judgement = judge(_availability((200, 0), (1800, 540)))
    assert judgement.verdict == "ok"
    assert judgement.findings[0].better_than_stable_p is not None
    assert judgement.findings[0].better_than_stable_p < 0.01


def test_worse_than_the_objective_and_no_better_than_stable_fails() -> None:
    # Both versions fail 30%: the canary is not the cause, but it is not the fix either.
    judgement = judge(_availability((200, 60), (1800, 540)))
    assert judgement.verdict == "fail"
    assert "objective" in judgement.reason


def test_a_canary_alone_is_judged_on_the_objective() -> None:
    assert judge(_availability((100, 0), (0, 0))).verdict == "ok"
    assert judge(_availability((100, 5), (0, 0))).verdict == "fail"
