"""When requests arrive: one Poisson stream per app, merged in time order.

Each app draws from its own random source seeded by ``seed`` and its name, so choosing a subset
of apps (``--apps``) leaves every other app's traffic unchanged. A daily profile (Montréal time:
quiet nights, busy afternoons and evenings) shapes back-dated history; live runs use a flat rate.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator

from vigie.loadgen.catalog import MONTREAL_UTC_OFFSET_H, App
from vigie.loadgen.model import RequestShape, generate_request
from vigie.loadgen.scenarios import Scenario, effects_at

_S = 1_000_000_000
_HOUR_NS = 3600 * _S
_HOURLY = (
    0.35, 0.2, 0.12, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.1, 1.3, 1.4,
    1.4, 1.45, 1.5, 1.5, 1.45, 1.35, 1.3, 1.4, 1.5, 1.4, 1.0, 0.6,
)  # fmt: skip
_MEAN = sum(_HOURLY) / len(_HOURLY)
# Relative to the daily mean, so that a history's average rate is the requested one.
DAILY_PROFILE = tuple(h / _MEAN for h in _HOURLY)


def daily_factor(t_ns: int) -> float:
    """Traffic at ``t_ns`` relative to the daily average."""
    return DAILY_PROFILE[(t_ns // _HOUR_NS + MONTREAL_UTC_OFFSET_H) % 24]


def app_random(seed: int, app: App) -> random.Random:
    return random.Random(f"{seed}/{app.key}")


def request_stream(
    apps: tuple[App, ...],
    start_ns: int,
    end_ns: int,
    per_second: float,
    scenarios: tuple[Scenario, ...],
    seed: int,
    *,
    daily: bool = False,
) -> Iterator[RequestShape]:
    """Requests of ``apps`` in ``[start_ns, end_ns)``, ordered by start time.

    ``per_second`` is the average total rate, shared among the apps by weight; with ``daily``
    the rate follows :data:`DAILY_PROFILE`.
    """
    total_weight = sum(a.weight for a in apps)
    streams = [
        _app_stream(
            app,
            start_ns,
            end_ns,
            per_second * app.weight / total_weight,
            scenarios,
            app_random(seed, app),
            daily,
        )
        for app in apps
    ]
    return heapq.merge(*streams, key=lambda r: r.start_ns)


def _app_stream(
    app: App,
    start_ns: int,
    end_ns: int,
    per_second: float,
    scenarios: tuple[Scenario, ...],
    rng: random.Random,
    daily: bool,
) -> Iterator[RequestShape]:
    if per_second <= 0:
        return
    # Thinning: draw arrivals at the peak rate, keep each with probability rate(t) / peak.
    peak = per_second * (max(DAILY_PROFILE) if daily else 1.0)
    t = start_ns
    while True:
        t += int(rng.expovariate(peak) * _S)
        if t >= end_ns:
            return
        if daily and rng.random() * peak >= per_second * daily_factor(t):
            continue
        yield generate_request(app, t, effects_at(scenarios, app, t), rng)
