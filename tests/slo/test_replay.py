"""Detection quality: synthetic timelines replayed through the evaluator (99.9% over 30 days).

Spans are written into ``otel_traces`` at chosen timestamps (all at once: an evaluation at instant
``t`` only reads complete minutes before ``t``), then the evaluator runs at instants on a 30 s grid.
Where the outcome is monotone in time (an error rate that starts and stays), the first firing
instant is found by bisection on that grid instead of stepping through every tick.

Expected times follow the SRE Workbook: time to fire = (1 - SLO) / error ratio * window * burn
rate. The tolerance is one evaluation interval plus one rollup minute (only complete minutes are
counted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from vigie.config.slo import SloFile
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

# Recent (the activity rollup keeps 7 days, raw spans 30), and whole hours.
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
TICK = timedelta(seconds=30)
TOLERANCE = TICK + timedelta(minutes=1)
RATE = 60  # requests per minute
TARGETS = targets_from_files(
    [
        SloFile.model_validate(
            {
                "app": "shop",
                "club": "cedille",
                "slos": [{"name": "avail", "objective": 99.9, "sli": {"kind": "availability"}}],
            }
        )
    ]
)


def state_at(db: Store, at: datetime) -> str:
    return evaluate(db, TARGETS, at).statuses[0].decision.state


def first_tick(
    db: Store, start: datetime, horizon: timedelta, hit: Callable[[str], bool]
) -> datetime:
    """The first instant on the 30 s grid after ``start`` where ``hit(state)`` holds, assuming
    it keeps holding afterwards (bisection)."""
    lo, hi = 0, int(horizon / TICK)
    assert hit(state_at(db, start + hi * TICK)), "never fired within the horizon"
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if hit(state_at(db, start + mid * TICK)):
            hi = mid
        else:
            lo = mid
    return start + hi * TICK


def history(db: Store, per_minute: float = RATE) -> None:
    """Three days of good traffic before T0, so every window is full."""
    insert_traffic(
        db,
        service="shop",
        start=T0 - timedelta(days=3),
        duration=timedelta(days=3),
        per_minute=per_minute,
    )


def report(name: str, theory: timedelta, measured: timedelta) -> None:
    print(f"\n[replay] {name}: theory {theory}, measured {measured}")


@pytest.mark.parametrize(
    ("error_ratio", "state", "window", "burn"),
    [
        (1.00, "page", timedelta(hours=1), 14.4),
        (0.10, "page", timedelta(hours=1), 14.4),
        (0.02, "page", timedelta(hours=1), 14.4),
        (0.01, "page", timedelta(hours=6), 6.0),
        (0.005, "ticket", timedelta(days=1), 3.0),
        (0.002, "ticket", timedelta(days=3), 1.0),
    ],
)
def test_time_to_fire_matches_the_workbook(
    db: Store, error_ratio: float, state: str, window: timedelta, burn: float
) -> None:
    history(db)
    theory = 0.001 / error_ratio * window * burn
    horizon = theory + 2 * TOLERANCE
    insert_traffic(
        db,
        service="shop",
        start=T0,
        duration=horizon,
        per_minute=RATE,
        error_every=round(1 / error_ratio),
    )
    fired = first_tick(db, T0, horizon, lambda s: s == state)
    report(f"{error_ratio:.1%} errors -> {state}", theory, fired - T0)
    # Either side: error counts are whole spans (the first one fails), minutes are complete.
    assert abs((fired - T0) - theory) <= TOLERANCE
    if state == "ticket":  # and never paged on the way
        assert state_at(db, fired) == "ticket"


def test_steady_small_error_ratio_never_alerts(db: Store) -> None:
    history(db)
    insert_traffic(
        db, service="shop", start=T0, duration=timedelta(days=3), per_minute=RATE, error_every=2000
    )  # 0.05%: burn 0.5
    states = {state_at(db, T0 + k * timedelta(hours=2)) for k in range(1, 37)}
    assert states == {"ok"}


def test_outage_that_ends_returns_to_ok_within_the_short_window(db: Store) -> None:
    history(db)
    outage = timedelta(minutes=2)
    insert_traffic(db, service="shop", start=T0, duration=outage, per_minute=RATE, error_every=1)
    insert_traffic(
        db, service="shop", start=T0 + outage, duration=timedelta(hours=1), per_minute=RATE
    )
    paged = first_tick(db, T0, timedelta(minutes=5), lambda s: s == "page")
    back = first_tick(db, T0 + outage, timedelta(minutes=10), lambda s: s == "ok")
    report("2 min outage -> page", timedelta(seconds=52), paged - T0)
    report("after the outage -> ok", timedelta(minutes=5), back - (T0 + outage))
    assert paged - T0 <= timedelta(seconds=52) + TOLERANCE
    assert back - (T0 + outage) <= timedelta(minutes=5) + TOLERANCE


def test_low_traffic_failure_is_low_traffic_not_page(db: Store) -> None:
    history(db, per_minute=10 / 60)
    failure = T0 + timedelta(minutes=3)
    insert_traffic(
        db,
        service="shop",
        start=failure,
        duration=timedelta(minutes=6),
        per_minute=10 / 60,
        error_every=1,
    )
    insert_traffic(
        db,
        service="shop",
        start=failure + timedelta(minutes=6),
        duration=timedelta(hours=2),
        per_minute=10 / 60,
    )
    states = [state_at(db, failure + k * timedelta(minutes=5)) for k in range(1, 25)]
    print(f"\n[replay] 10 req/h, one failure, every 5 min for 2 h: {states}")
    # The hour-long pairs see a 10% error ratio on ~10 events: low traffic, never a page. The
    # day-long ticket pair (240 events) may then ticket: one failure in 240 is 0.4% > 0.3%.
    assert states[0] == "low_traffic"
    assert "page" not in states
    assert set(states) <= {"low_traffic", "ticket"}
    assert state_at(db, failure - timedelta(minutes=1)) == "ok"


def test_app_that_stops_sending_is_no_data(db: Store) -> None:
    history(db)
    assert state_at(db, T0 + timedelta(minutes=5)) == "ok"
    for silence in (timedelta(minutes=11), timedelta(hours=2), timedelta(days=2)):
        assert state_at(db, T0 + silence) == "no_data"
