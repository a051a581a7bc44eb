from datetime import UTC, datetime, timedelta

import pytest

from vigie.slo.decision import Counts, Policy, decide
from vigie.slo.windows import WINDOWS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
P999 = Policy(objective=99.9, period=timedelta(days=30), min_events=100)


def uniform(total: float, ratio: float) -> dict[str, Counts]:
    return {label: Counts(total, total * ratio) for label in WINDOWS}


def with_windows(base: dict[str, Counts], **overrides: Counts) -> dict[str, Counts]:
    return {**base, **{k.removeprefix("w"): v for k, v in overrides.items()}}


def run(windows: dict[str, Counts], policy: Policy = P999, **kw: object) -> tuple[str, str]:
    kw.setdefault("last_seen", NOW - timedelta(minutes=1))
    d = decide(
        policy,
        windows,
        Counts(10_000, 5),
        now=NOW,
        stale_after=timedelta(minutes=10),
        **kw,  # type: ignore[arg-type]
    )
    return d.state, d.reason


@pytest.mark.parametrize(
    ("windows", "state", "reason_part"),
    [
        (uniform(10_000, 0.0), "ok", "no alert pair"),
        (uniform(10_000, 0.0005), "ok", "no alert pair"),
        (uniform(10_000, 0.015), "page", "page 1h/5m"),
        (uniform(10_000, 0.007), "page", "page 6h/30m"),
        (uniform(10_000, 0.004), "ticket", "ticket 1d/2h"),
        (uniform(10_000, 0.0015), "ticket", "ticket 3d/6h"),
        # the long window burns but the short one has recovered: no page
        (
            with_windows(uniform(10_000, 0.015), w5m=Counts(100, 0), w30m=Counts(600, 0)),
            "ticket",
            "ticket 1d/2h",
        ),
        # a burst in the short window alone does not page
        (with_windows(uniform(10_000, 0.0), w5m=Counts(100, 100)), "ok", "no alert pair"),
        # too few events in the long windows of the pairs that burn: low traffic, not page
        (uniform(50, 0.1), "low_traffic", "too few events"),
        # no event in the last hour: no data, never ok
        (with_windows(uniform(10_000, 0.0), w1h=Counts(0, 0), w5m=Counts(0, 0)), "no_data", "1h"),
    ],
)
def test_states(windows: dict[str, Counts], state: str, reason_part: str) -> None:
    got, reason = run(windows)
    assert got == state
    assert reason_part in reason


def test_stale_service_is_no_data_whatever_the_counts() -> None:
    assert run(uniform(10_000, 0.0), last_seen=NOW - timedelta(minutes=11))[0] == "no_data"
    assert run(uniform(10_000, 0.0), last_seen=None)[0] == "no_data"


def test_switched_off_page_falls_back_to_ticket() -> None:
    policy = Policy(objective=99.9, period=timedelta(days=30), min_events=1, page=False)
    assert run(uniform(10_000, 0.5), policy)[0] == "ticket"


def test_threshold_exactly_reached_fires() -> None:
    # 1.44% errors for a 99.9% objective is exactly 14.4x, as floats do not make it
    assert run(uniform(10_000, 0.0144))[0] == "page"


def test_burn_rates_budget_and_reason() -> None:
    windows = with_windows(uniform(1000, 0.0), w5m=Counts(10, 5))
    d = decide(
        P999, windows, Counts(100_000, 150), last_seen=NOW, now=NOW, stale_after=timedelta(1)
    )
    assert d.burn_rates["5m"] == pytest.approx(500)
    assert d.burn_rates["1h"] == 0
    assert d.budget_remaining == pytest.approx(1 - 150 / 100)
    assert (d.events_total, d.events_bad) == (100_000, 150)
    empty = decide(P999, uniform(0, 0), Counts(), last_seen=NOW, now=NOW, stale_after=timedelta(1))
    assert empty.burn_rates["1h"] is None
    assert empty.budget_remaining is None
