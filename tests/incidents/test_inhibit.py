"""The platform condition and what it inhibits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incident_builders import T0, replay, status, target

from vigie.incidents.inhibit import inhibited_by, platform_condition
from vigie.incidents.model import PLATFORM_SLO


def statuses(apps: int, paging: int, stale: int) -> list:
    out = []
    for i in range(apps):
        state = "page" if i < paging else "no_data" if i < paging + stale else "ok"
        out.append(status(target("alpha", f"app{i}"), state, T0))
        out.append(status(target("alpha", f"app{i}", "latency"), state, T0))
    return out


@pytest.mark.parametrize(
    ("apps", "paging", "stale", "share", "holds", "severity", "affected"),
    [
        (10, 3, 0, 0.3, False, "page", 0),  # 30% is not more than 30%
        (10, 4, 0, 0.3, True, "page", 4),
        (10, 4, 0, 0.5, False, "page", 0),
        (2, 2, 0, 0.3, False, "page", 0),  # two apps are two incidents
        (3, 3, 0, 0.3, True, "page", 3),
        (10, 0, 5, 0.3, True, "no_data", 5),  # telemetry stopped for half the apps
        (10, 0, 4, 0.3, False, "page", 0),
        (10, 1, 5, 0.3, True, "page", 6),
        (0, 0, 0, 0.3, False, "page", 0),
    ],
)
def test_platform_condition(
    apps: int, paging: int, stale: int, share: float, holds: bool, severity: str, affected: int
) -> None:
    condition = platform_condition(statuses(apps, paging, stale), share)
    assert (condition.holds, condition.severity, len(condition.affected)) == (
        holds,
        severity,
        affected,
    )
    assert condition.apps == apps
    assert condition.reason


def test_an_app_is_stale_only_when_all_its_slos_are() -> None:
    mixed = [
        s
        for i in range(4)
        for s in (
            status(target("alpha", f"app{i}"), "no_data", T0),
            status(target("alpha", f"app{i}", "latency"), "ok", T0),
        )
    ]
    assert not platform_condition(mixed, 0.3).holds


def test_inhibited_while_the_platform_incident_covers_the_app() -> None:
    apps = [target("alpha", f"app{i}") for i in range(4)]
    spare = target("beta", "spare")
    steps = [(T0, {**{t: "page" for t in apps}, spare: "ok"})]
    steps += [
        (T0 + timedelta(minutes=i), {**{t: "ok" for t in apps}, spare: "page"}) for i in (1, 2, 3)
    ]
    events, incidents = replay(steps)
    opened = [incidents[e.incident_id] for e in events if e.kind == "opened"]
    platform = next(i for i in opened if i.slo == PLATFORM_SLO)
    app0 = next(i for i in opened if i.app == "app0")
    late = next(i for i in opened if i.app == "spare")
    assert not platform.is_open  # resolved after three clean evaluations
    open_platform = replay(steps[:1])[1][platform.id]
    assert inhibited_by(app0, open_platform) == f"covered by platform incident {platform.id}"
    assert inhibited_by(late, open_platform) is None  # not one of the apps it covers
    assert inhibited_by(app0, platform) is None  # resolved: no longer inhibits
    assert inhibited_by(open_platform, open_platform) is None


def test_many_dead_apps_at_once_are_the_platform() -> None:
    # Requests stop for 5 of 10 apps in the same minutes, before their SLOs go no_data: the
    # ingestion is failing, one platform incident instead of five pages to five captains.
    healthy = statuses(10, 0, 0)
    dead = {f"app{i}" for i in range(5)}
    condition = platform_condition(healthy, 0.3, dead)
    assert condition.holds and len(condition.affected) == 5
    assert not platform_condition(healthy, 0.3, {"app0", "app1"}).holds  # two dead apps: pages
