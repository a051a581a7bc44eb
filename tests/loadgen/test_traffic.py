from __future__ import annotations

import statistics

from vigie.loadgen.catalog import SAMPLE_APPS, App
from vigie.loadgen.model import RequestShape
from vigie.loadgen.scenarios import Scenario
from vigie.loadgen.traffic import DAILY_PROFILE, daily_factor, request_stream

S = 10**9
H = 3600 * S
T0 = 497_000 * H  # an hour boundary


def test_rate_and_time_order() -> None:
    requests = list(request_stream(SAMPLE_APPS, T0, T0 + 600 * S, 5.0, (), seed=1))
    assert 2700 < len(requests) < 3300  # 5/s for 600 s, Poisson
    starts = [r.start_ns for r in requests]
    assert starts == sorted(starts)
    assert starts[0] >= T0 and starts[-1] < T0 + 600 * S


def test_apps_share_the_rate_by_weight() -> None:
    requests = list(request_stream(SAMPLE_APPS, T0, T0 + 600 * S, 10.0, (), seed=2))
    total_weight = sum(a.weight for a in SAMPLE_APPS)
    for app in SAMPLE_APPS:
        share = sum(r.app == app for r in requests) / len(requests)
        assert abs(share - app.weight / total_weight) < 0.03


def test_seed_reproduces_and_subsets_leave_other_apps_unchanged() -> None:
    def run(apps: tuple[App, ...], seed: int) -> list[RequestShape]:
        return list(request_stream(apps, T0, T0 + 120 * S, 5.0, (), seed))

    everything = run(SAMPLE_APPS, 9)
    assert everything == run(SAMPLE_APPS, 9)
    assert everything != run(SAMPLE_APPS, 10)
    # The wiki alone at its own share of the rate draws exactly the same requests.
    wiki = SAMPLE_APPS[2]
    alone = list(
        request_stream(
            (wiki,),
            T0,
            T0 + 120 * S,
            5.0 * wiki.weight / sum(a.weight for a in SAMPLE_APPS),
            (),
            9,
        )
    )
    assert alone == [r for r in everything if r.app == wiki]


def test_daily_profile_averages_one_and_shapes_history() -> None:
    assert abs(statistics.fmean(DAILY_PROFILE) - 1) < 1e-9
    requests = list(request_stream(SAMPLE_APPS, T0, T0 + 24 * H, 0.2, (), seed=3, daily=True))
    assert 0.9 * 0.2 * 86400 < len(requests) < 1.1 * 0.2 * 86400
    per_hour = [0] * 24
    for r in requests:
        per_hour[(r.start_ns - T0) // H] += 1
    quietest = min(range(24), key=lambda h: daily_factor(T0 + h * H))
    busiest = max(range(24), key=lambda h: daily_factor(T0 + h * H))
    assert per_hour[busiest] > 5 * per_hour[quietest]


def test_scenarios_apply_inside_their_window_only() -> None:
    site = SAMPLE_APPS[0]
    outage = Scenario("outage", site.key, start_ns=T0 + 60 * S, end_ns=T0 + 120 * S)
    requests = list(request_stream(SAMPLE_APPS, T0, T0 + 180 * S, 10.0, (outage,), seed=4))
    inside = [r for r in requests if r.app == site and outage.active(r.start_ns)]
    assert inside and all(r.status == 503 for r in inside)
    others = [r for r in requests if r not in inside]
    assert sum(r.status == 503 for r in others) == 0
