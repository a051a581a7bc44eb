from datetime import timedelta

import pytest

from vigie.slo.windows import PAIRS, WINDOWS


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (30, [14.4, 6.0, 3.0, 1.0]),
        (28, [13.44, 5.6, 2.8, 0.9333]),
        (90, [43.2, 18.0, 9.0, 3.0]),
        (7, [3.36, 1.4, 0.7, 0.2333]),
    ],
)
def test_factors_rederived_from_budget_shares_like_sloth(days: int, expected: list[float]) -> None:
    factors = [pair.factor(timedelta(days=days)) for pair in PAIRS]
    assert factors == pytest.approx(expected, abs=1e-4)


def test_short_window_is_a_twelfth_of_the_long_one() -> None:
    for pair in PAIRS:
        assert WINDOWS[pair.long] / WINDOWS[pair.short] == 12
