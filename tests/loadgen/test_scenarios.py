from __future__ import annotations

import pytest

from vigie.loadgen.catalog import MONTREAL_UTC_OFFSET_H, SAMPLE_APPS
from vigie.loadgen.scenarios import Scenario, effects_at, next_minor, parse_scenario, past_incidents

KEYS = tuple(a.key for a in SAMPLE_APPS)
SITE, API, WIKI = SAMPLE_APPS[0], SAMPLE_APPS[1], SAMPLE_APPS[2]
H = 3600 * 10**9


def test_parse_defaults() -> None:
    assert parse_scenario("outage:algoets/site-web", KEYS) == Scenario("outage", "algoets/site-web")
    latency = parse_scenario("latency:cedille/wiki", KEYS)
    assert (latency.kind, latency.factor) == ("latency", 10.0)
    deploy = parse_scenario("deploy:algoets/api-concours", KEYS)
    assert (deploy.kind, deploy.version) == ("deploy", None)


def test_parse_values() -> None:
    assert parse_scenario("outage:algoets/site-web:0.25", KEYS).share == 0.25
    assert parse_scenario("latency:cedille/wiki:3", KEYS).factor == 3.0
    assert parse_scenario("deploy:cedille/wiki:1.0.0-rc1", KEYS).version == "1.0.0-rc1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("crash:algoets/site-web", "kind"),
        ("outage:algoets/nope", "unknown app"),
        ("outage:algoets/site-web:1.5", "share"),
        ("outage:algoets/site-web:0", "share"),
        ("latency:cedille/wiki:fast", "not a number"),
        ("latency:cedille/wiki:-2", "positive"),
    ],
)
def test_parse_rejects(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_scenario(text, KEYS)


def test_next_minor() -> None:
    assert next_minor("1.4.2") == "1.5.0"
    assert next_minor("2.9") == "2.10"
    assert next_minor("main") == "main-next"


def test_effects_only_inside_the_window_and_only_for_the_app() -> None:
    outage = Scenario("outage", SITE.key, start_ns=10 * H, end_ns=11 * H, share=0.5)
    assert effects_at((outage,), SITE, 10 * H).outage_share == 0.5
    assert effects_at((outage,), SITE, 11 * H).outage_share == 0.0
    assert effects_at((outage,), SITE, 9 * H).outage_share == 0.0
    assert effects_at((outage,), API, 10 * H).outage_share == 0.0


def test_effects_combine() -> None:
    scenarios = (
        Scenario("latency", WIKI.key, factor=2.0),
        Scenario("latency", WIKI.key, factor=3.0),
        Scenario("outage", WIKI.key, share=0.2),
        Scenario("outage", WIKI.key, share=0.6),
        Scenario("deploy", WIKI.key, start_ns=1 * H, version="1.0.0"),
        Scenario("deploy", WIKI.key, start_ns=2 * H),
    )
    e = effects_at(scenarios, WIKI, 3 * H)
    assert e.latency_factor == 6.0
    assert e.outage_share == 0.6
    assert e.version == next_minor(WIKI.version)
    assert effects_at(scenarios, WIKI, int(1.5 * H)).version == "1.0.0"
    assert effects_at(scenarios, WIKI, 0).version == WIKI.version


def test_past_incidents_fall_inside_the_history() -> None:
    now = 497_000 * H + 5 * 60 * 10**9
    month = past_incidents(now, 30)
    assert {s.kind for s in month} == {"outage", "latency", "deploy"}
    start = now - 30 * 24 * H
    for s in month:
        assert s.end_ns is not None
        assert s.end_ns > start and s.start_ns < now
    site = [s for s in month if s.app == SITE.key]
    assert len(site) == 1 and site[0].share == 1.0
    # Two runs on the same day place the incidents identically, at Montréal times of day.
    assert past_incidents(now + 60 * 10**9, 30) == month
    assert past_incidents(now + 3 * H, 30) == month
    local = (site[0].start_ns // 10**9 + MONTREAL_UTC_OFFSET_H * 3600) % 86400
    assert local == 14 * 3600 + 10 * 60
    # A short history keeps only the recent ones.
    assert [(s.kind, s.app) for s in past_incidents(now, 4)] == [("outage", SITE.key)]
    assert past_incidents(now, 1) == ()
