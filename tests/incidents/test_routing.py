"""Routing: who hears about an incident, with which mentions, and why."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from incident_builders import ADMIN_USER, CAPTAINS, T0, alerts, replay, target

from vigie.incidents.model import SILENT_SLO, Incident
from vigie.incidents.routing import route
from vigie.notify.notice import ADMINS

QUIET = {"quiet_hours": {"start": "23:00", "end": "08:00", "timezone": "America/Montreal"}}
NIGHT = datetime.fromisoformat("2026-11-20T08:00:00+00:00")  # 03:00 in Montréal


def incident(club: str, state: str, at: datetime = T0, slo: str = "availability") -> Incident:
    _, incidents = replay([(at, {target(club, "app", slo): state})])
    return next(i for i in incidents.values() if i.club == club)


def test_a_captain_never_hears_of_another_clubs_incident() -> None:
    config = alerts(alpha=QUIET)
    times = [T0, NIGHT, T0 + timedelta(hours=12)]
    for club, state, now in itertools.product(CAPTAINS, ("page", "ticket", "no_data"), times):
        inc = incident(club, state, now)
        for r in route(inc, config, now).routes:
            assert r.channel in (ADMINS, club)
            if r.channel != ADMINS:
                assert set(r.mentions) <= {CAPTAINS[club]}


@pytest.mark.parametrize(
    ("state", "now", "clubs", "club_gets", "mentions", "held"),
    [
        ("page", T0, {}, True, True, None),
        ("ticket", T0, {}, True, False, None),
        (
            "ticket",
            NIGHT,
            {"alpha": QUIET},
            False,
            False,
            "quiet hours 23:00-08:00 America/Montreal",
        ),
        ("page", NIGHT, {"alpha": QUIET}, True, True, None),  # pages never wait
        ("ticket", T0, {"alpha": QUIET}, True, False, None),  # daytime
        (
            "ticket",
            T0,
            {"alpha": {"policy": {"captain_severities": ["page"]}}},
            False,
            False,
            "ticket not in captain_severities",
        ),
        (
            "ticket",
            T0,
            {"alpha": {"policy": {"mention_captains_on": ["page", "ticket"]}}},
            True,
            True,
            None,
        ),
    ],
)
def test_club_channel(
    state: str, now: datetime, clubs: dict, club_gets: bool, mentions: bool, held: str | None
) -> None:
    inc = incident("alpha", state, now)
    routing = route(inc, alerts(**clubs), now)
    channels = {r.channel: r for r in routing.routes}
    # Every page mentions the admins too (need B06), a ticket nobody there.
    assert channels[ADMINS].mentions == ((ADMIN_USER,) if state == "page" else ())
    assert ("alpha" in channels) == club_gets
    if club_gets:
        assert channels["alpha"].mentions == ((CAPTAINS["alpha"],) if mentions else ())
        assert channels["alpha"].locale == "fr"
    if held:
        assert any(held in why for _, why in routing.held)


def test_a_dead_app_pages_its_captain_and_the_admins() -> None:
    inc = incident("gamma", "no_data")
    assert (inc.slo, inc.severity) == (SILENT_SLO, "page")
    routing = route(inc, alerts(gamma=QUIET), NIGHT)  # pages do not wait for quiet hours
    assert [(r.channel, r.mentions) for r in routing.routes] == [
        (ADMINS, (ADMIN_USER,)),
        ("gamma", (CAPTAINS["gamma"],)),
    ]
    assert routing.held == ()


def test_silenced_incidents_go_nowhere() -> None:
    inc = replace(incident("alpha", "page"), silenced_by="SIL-X")
    routing = route(inc, alerts(), T0)
    assert routing.routes == ()
    assert all("SIL-X" in why for _, why in routing.held)


def test_platform_incident_admins_mentioned_clubs_told_without_mentions() -> None:
    apps = {target(c, f"app{i}"): "page" for c in ("alpha", "gamma") for i in range(3)}
    _, incidents = replay([(T0, apps)])
    platform = next(i for i in incidents.values() if i.is_platform)
    routing = route(platform, alerts(), T0)
    assert [(r.channel, r.mentions) for r in routing.routes] == [
        (ADMINS, (ADMIN_USER,)),
        ("alpha", ()),
        ("gamma", ()),
    ]
    assert routing.routes[2].locale == "en"
