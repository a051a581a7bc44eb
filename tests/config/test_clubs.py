from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from vigie.config.clubs import AlertsConfig, QuietHours


def alerts(policy: dict[str, Any] | None = None, **club: Any) -> AlertsConfig:
    """A valid file with one club; ``club`` keys replace the club's (``policy`` is the global
    block: a club's own policy is passed as ``club_policy``)."""
    entry = {"id": "algoets", "name": "AlgoÉTS", "webhook": {"env": "VIGIE_DISCORD_ALGOETS"}}
    if "club_policy" in club:
        club["policy"] = club.pop("club_policy")
    data: dict[str, Any] = {
        "admins": {"webhook": {"env": "VIGIE_DISCORD_ADMIN"}},
        "clubs": [{**entry, **club}],
    }
    if policy is not None:
        data["policy"] = policy
    return AlertsConfig.model_validate(data)


def test_policy_defaults() -> None:
    policy = alerts().policy
    assert policy.group_wait == timedelta(seconds=30)
    assert policy.group_interval == timedelta(minutes=5)
    assert policy.repeat_interval == timedelta(hours=4)
    assert policy.resolve_after_evaluations == 3
    assert policy.flap_reopen_within == timedelta(hours=1)
    assert policy.captain_severities == ["page", "ticket"]
    assert policy.mention_captains_on == ["page"]
    assert policy.platform_incident_share == 0.3
    assert policy.no_data_after == timedelta(minutes=10)
    assert policy.quiet_hours is None


def test_escalation_defaults_overrides_and_admin_roles() -> None:
    config = alerts(club_policy={"escalate_after": "30m", "escalate_to": []})
    assert config.policy.escalate_after == timedelta(minutes=15)
    assert config.policy.escalate_to == ["admins", "captains"]
    mine = config.policy_for("algoets")
    assert (mine.escalate_after, mine.escalate_to) == (timedelta(minutes=30), [])
    assert config.club("algoets").timezone == "America/Montreal"
    admins = AlertsConfig.model_validate(
        {
            "admins": {"webhook": {"env": "V"}, "users": ["300000000000000001"],
                       "roles": ["500000000000000001"]},
            "clubs": [{"id": "a", "name": "A", "webhook": {"env": "W"}}],
        }
    ).admins  # fmt: skip
    assert admins.mentions == ("300000000000000001", "&500000000000000001")


def test_club_defaults() -> None:
    club = alerts().club("algoets")
    assert club.timezone == "America/Montreal"
    assert (club.locale, club.captains, club.grafana_logins, club.quiet_hours) == (
        "fr",
        [],
        [],
        None,
    )


def test_club_overrides_apply_on_top_of_the_global_policy() -> None:
    config = alerts(
        policy={"repeat_interval": "2h", "group_wait": "1m"},
        quiet_hours={"start": "23:00", "end": "08:00"},
        club_policy={"repeat_interval": "12h"},
    )
    merged = config.policy_for("algoets")
    assert merged.repeat_interval == timedelta(hours=12)  # the club's
    assert merged.group_wait == timedelta(minutes=1)  # inherited
    assert merged.quiet_hours == QuietHours.model_validate({"start": "23:00", "end": "08:00"})


def test_a_club_override_must_agree_with_what_it_inherits() -> None:
    fine = alerts(club_policy={"captain_severities": ["page"]})
    assert fine.policy_for("algoets").captain_severities == ["page"]
    bad = alerts(club_policy={"captain_severities": ["ticket"]})
    with pytest.raises(ValidationError, match="not in captain_severities"):
        bad.policy_for("algoets")


def test_mentions_must_be_sent_to_captains() -> None:
    with pytest.raises(ValidationError, match="not in captain_severities"):
        alerts(policy={"captain_severities": ["ticket"], "mention_captains_on": ["page"]})


@pytest.mark.parametrize(
    "change",
    [
        {"locale": "de"},
        {"id": "Algo ETS"},
        {"captains": ["12"]},
        {"webhook": "https://discord.com/api/webhooks/1/x"},
        {"quiet_hours": {"start": "23:00", "end": "23:00"}},
        {"quiet_hours": {"start": "23:00", "end": "08:00", "timezone": "Mars/Olympus"}},
        {"timezone": "Mars/Olympus"},
        {"club_policy": {"group_wait": "soon"}},
        {"club_policy": {"resolve_after_evaluations": 3}},  # a global-only knob
        {"timezone": "Mars/Olympus"},
        {"club_policy": {"escalate_to": ["everyone"]}},
    ],
)
def test_invalid_clubs_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        alerts(**change)


def test_quiet_hours_across_midnight_in_their_time_zone() -> None:
    quiet = QuietHours.model_validate({"start": "23:00", "end": "08:00"})  # America/Montreal
    # 2026-01-15 is in EST (UTC-5).
    assert quiet.contains(datetime(2026, 1, 15, 4, 30, tzinfo=UTC))  # 23:30 local
    assert quiet.contains(datetime(2026, 1, 15, 12, 59, tzinfo=UTC))  # 07:59 local
    assert not quiet.contains(datetime(2026, 1, 15, 13, 0, tzinfo=UTC))  # 08:00 local
    assert not quiet.contains(datetime(2026, 1, 15, 3, 59, tzinfo=UTC))  # 22:59 local


def test_global_quiet_hours_apply_to_clubs_without_their_own() -> None:
    config = alerts(policy={"quiet_hours": {"start": "22:00", "end": "07:00"}})
    quiet = config.policy_for("algoets").quiet_hours
    assert quiet is not None and quiet.start.hour == 22


def test_quiet_hours_within_a_day() -> None:
    quiet = QuietHours.model_validate({"start": "12:00", "end": "13:00", "timezone": "UTC"})
    assert quiet.contains(datetime(2026, 1, 15, 12, 30, tzinfo=UTC))
    assert not quiet.contains(datetime(2026, 1, 15, 13, 30, tzinfo=UTC))


def test_dump_never_contains_a_secret_and_durations_stay_readable() -> None:
    dumped = alerts().model_dump_json()
    assert '"group_wait":"30s"' in dumped
    assert '"env":"VIGIE_DISCORD_ALGOETS"' in dumped
