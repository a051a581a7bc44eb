"""Grouping: group_wait, group_interval, repeat_interval per channel; platform inhibition.

Incidents come from the pure state machine; notices are planned by
:func:`vigie.incidents.pipeline.plan_notices` (routing + inhibition + grouping, no I/O), and what
was planned is fed back as the notification log, like the pipeline does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from incident_builders import ADMIN_USER, CAPTAINS, T0, alerts, config, replay, target

from vigie.incidents.grouping import Planned, Told
from vigie.incidents.lines import Links, to_notice
from vigie.incidents.model import Incident
from vigie.incidents.pipeline import plan_notices
from vigie.notify.notice import ADMINS

CLUBS = list(CAPTAINS)
# 40 apps: 14 of alpha, 13 of beta, 13 of gamma.
FORTY = [target(CLUBS[i % 3], f"app{i:02d}") for i in range(40)]


NO_ESCALATION: dict[str, object] = {"escalate_to": []}  # tests/incidents/test_escalation.py


def told(planned: list[Planned], at: datetime) -> list[Told]:
    return [
        Told(
            p.key, p.channel, p.kind, tuple(i.id for i in p.incidents), p.seqs, at, p.edit_of or ""
        )
        for p in planned
    ]


def plan_at(incidents: dict[str, Incident], log: list[Told], now: datetime, **policy: object):
    cfg = config(alerts(policy or None))
    return plan_notices(cfg, list(incidents.values()), log, now)[0]


def test_forty_apps_failing_at_once_make_one_message_per_channel() -> None:
    # share 1: the platform condition never holds, plain grouping only.
    cfg = alerts({"platform_incident_share": 1.0})
    _, incidents = replay([(T0, {t: "page" for t in FORTY})], cfg)
    assert len(incidents) == 40
    assert plan_at(incidents, [], T0 + timedelta(seconds=29), platform_incident_share=1.0) == []
    planned = plan_at(incidents, [], T0 + timedelta(seconds=30), platform_incident_share=1.0)
    assert sorted((p.channel, p.kind) for p in planned) == [
        ("admins", "open"),
        ("alpha", "open"),
        ("beta", "open"),
        ("gamma", "open"),
    ]
    by_channel = {p.channel: p for p in planned}
    assert len(by_channel[ADMINS].incidents) == 40
    assert by_channel[ADMINS].mentions == (ADMIN_USER,)  # every page mentions the admins
    for club in CLUBS:
        mine = by_channel[club]
        assert {i.club for i in mine.incidents} == {club}  # captain of A never gets B's
        assert len(mine.incidents) == sum(1 for t in FORTY if t.club == club)
        assert mine.mentions == (CAPTAINS[club],)


def test_forty_apps_paging_is_one_platform_incident() -> None:
    _, incidents = replay([(T0, {t: "page" for t in FORTY})])
    planned = plan_at(incidents, [], T0 + timedelta(seconds=30))
    assert sorted((p.channel, p.kind) for p in planned) == [
        ("admins", "platform"),
        ("alpha", "platform_captain"),
        ("beta", "platform_captain"),
        ("gamma", "platform_captain"),
    ]
    admins = next(p for p in planned if p.channel == ADMINS)
    assert [i.is_platform for i in admins.incidents] == [True]
    assert admins.mentions == (ADMIN_USER,)
    assert all(p.mentions == () for p in planned if p.channel != ADMINS)
    # The captains' notice is said once: nothing more while the platform incident lasts.
    log = told(planned, T0 + timedelta(seconds=30))
    later = plan_at(incidents, log, T0 + timedelta(hours=5), escalate_to=[])
    assert [(p.channel, p.kind) for p in later] == [(ADMINS, "update")]  # the admins' reminder
    assert [i.is_platform for i in later[0].incidents] == [True]


def test_resolved_before_group_wait_is_never_told() -> None:
    shop = target("alpha", "shop")
    steps = [(T0, {shop: "page"})] + [
        (T0 + timedelta(seconds=5 * i), {shop: "ok"}) for i in (1, 2, 3)
    ]
    _, incidents = replay(steps)
    assert not next(iter(incidents.values())).is_open
    assert plan_at(incidents, [], T0 + timedelta(minutes=1)) == []


def test_changes_wait_for_group_interval_acks_do_not() -> None:
    shop, cart = target("alpha", "shop"), target("alpha", "cart")
    tick = timedelta(seconds=30)
    steps = [(T0, {shop: "ticket", cart: "ticket"})]
    _, incidents = replay(steps)
    announced = plan_at(incidents, [], T0 + tick)
    log = told(announced, T0 + tick)
    open_key = {p.channel: p.key for p in announced}
    # shop escalates, cart resolves over the next evaluations
    steps += [(T0 + k * tick, {shop: "page", cart: "ok"}) for k in (2, 3, 4)]
    _, incidents = replay(steps)
    assert plan_at(incidents, log, T0 + 4 * tick) == []  # within group_interval (5 min)
    later = plan_at(incidents, log, T0 + tick + timedelta(minutes=5))
    kinds = Counter((p.channel, p.kind) for p in later)
    assert kinds == Counter(
        {
            ("admins", "update"): 1,
            ("admins", "resolve"): 1,
            ("alpha", "update"): 1,
            ("alpha", "resolve"): 1,
        }
    )
    for p in later:
        if p.kind == "resolve":
            assert p.edit_of == open_key[p.channel]
            assert [i.app for i in p.incidents] == ["cart"]
        else:
            assert [i.app for i in p.incidents] == ["shop"]
            assert [i.severity for i in p.incidents] == ["page"]
    club_update = next(p for p in later if p.channel == "alpha" and p.kind == "update")
    assert club_update.mentions == (CAPTAINS["alpha"],)  # escalated to a page: ping
    # An acknowledgement goes at once, as an edit of the announcing message.
    shop_inc = next(i for i in incidents.values() if i.app == "shop")
    acked = replace(
        shop_inc,
        acknowledged_by="marie",
        acknowledged_at=T0 + 5 * tick,
        notable_seq=shop_inc.last_seq + 1,
        notable_kind="acknowledged",
    )
    log2 = told(later, T0 + tick + timedelta(minutes=5))
    acks = plan_at({acked.id: acked}, log + log2, T0 + tick + timedelta(minutes=5, seconds=1))
    assert sorted((p.channel, p.kind, p.edit_of) for p in acks) == [
        ("admins", "ack", open_key["admins"]),
        ("alpha", "ack", open_key["alpha"]),
    ]


def test_repeat_interval_reminds_unacknowledged_open_incidents() -> None:
    shop = target("beta", "shop")
    _, incidents = replay([(T0, {shop: "page"})])
    first = plan_at(incidents, [], T0 + timedelta(seconds=30))
    log = told(first, T0 + timedelta(seconds=30))
    assert plan_at(incidents, log, T0 + timedelta(hours=4), **NO_ESCALATION) == []
    reminders = plan_at(incidents, log, T0 + timedelta(hours=4, seconds=30), **NO_ESCALATION)
    assert sorted((p.channel, p.kind) for p in reminders) == [
        ("admins", "update"),
        ("beta", "update"),
    ]
    assert all(p.mentions == () for p in reminders)  # reminders never ping
    # keys differ from the first reminder's next time (told count is part of the key)
    log += told(reminders, T0 + timedelta(hours=4, seconds=30))
    again = plan_at(incidents, log, T0 + timedelta(hours=8, seconds=60), **NO_ESCALATION)
    assert {p.key for p in again}.isdisjoint({p.key for p in reminders})
    # a longer repeat_interval, and an acknowledgement, stop the reminder
    slow = plan_at(
        incidents, told(first, T0), T0 + timedelta(hours=5), repeat_interval="12h", **NO_ESCALATION
    )
    assert slow == []
    acked = {i.id: replace(i, acknowledged_by="marie") for i in incidents.values()}
    assert plan_at(acked, told(first, T0), T0 + timedelta(hours=5), **NO_ESCALATION) == []


def test_keys_are_deterministic_per_channel_and_content() -> None:
    _, incidents = replay([(T0, {t: "page" for t in FORTY[:6]})])
    now = T0 + timedelta(minutes=1)
    a, b = plan_at(incidents, [], now), plan_at(incidents, [], now + timedelta(seconds=7))
    assert [p.key for p in a] == [p.key for p in b]
    assert len({p.key for p in a}) == len(a)
    assert all(p.key.startswith("N-") and len(p.key) == 18 for p in a)


def test_tickets_wait_for_the_end_of_quiet_hours_pages_do_not() -> None:
    quiet = {"quiet_hours": {"start": "23:00", "end": "08:00", "timezone": "America/Montreal"}}
    night = datetime.fromisoformat("2026-11-20T07:00:00+00:00")  # 02:00 in Montréal
    morning = datetime.fromisoformat("2026-11-20T13:00:00+00:00")  # 08:00 in Montréal
    # no reminder, no escalation overnight: only what quiet hours do
    cfg = config(alerts({"repeat_interval": "12h", "escalate_to": []}, alpha=quiet))
    ticket, page = target("alpha", "shop"), target("alpha", "cart")
    _, incidents = replay([(night, {ticket: "ticket", page: "page"})])
    planned, _, held = plan_notices(cfg, list(incidents.values()), [], night + timedelta(minutes=1))
    club = next(p for p in planned if p.channel == "alpha")
    assert [i.app for i in club.incidents] == ["cart"]  # the page, at night
    admins = next(p for p in planned if p.channel == ADMINS)
    assert sorted(i.app for i in admins.incidents) == ["cart", "shop"]
    assert any(channel == "alpha" and "quiet hours" in why for _, channel, why in held)
    log = told(planned, night + timedelta(minutes=1))
    live = list(incidents.values())
    assert plan_notices(cfg, live, log, morning - timedelta(minutes=1))[0] == []
    at_eight = plan_notices(cfg, live, log, morning)[0]
    assert [(p.channel, p.kind, [i.app for i in p.incidents]) for p in at_eight] == [
        ("alpha", "open", ["shop"])
    ]


@settings(max_examples=40, deadline=None)
@given(
    states=st.lists(
        st.tuples(
            st.sampled_from(CLUBS),
            st.integers(0, 5),
            st.sampled_from(["ok", "ticket", "page", "no_data", "low_traffic"]),
        ),
        min_size=1,
        max_size=20,
    ),
    share=st.sampled_from([0.1, 0.3, 1.0]),
    minutes=st.integers(0, 600),
)
def test_property_a_club_channel_only_ever_carries_its_own_club(
    states: list[tuple[str, int, str]], share: float, minutes: int
) -> None:
    verdicts = {target(club, f"app{n}"): state for club, n, state in states}
    cfg = alerts({"platform_incident_share": share})
    _, incidents = replay([(T0, verdicts)], cfg)
    now = T0 + timedelta(minutes=minutes)
    live = list(incidents.values())
    planned, routes, _ = plan_notices(config(cfg), live, [], now)
    links = Links("https://v", "https://g")
    for p in planned:
        notice = to_notice(p, routes[(p.channel, p.incidents[0].id)], live, links, now)
        if notice.channel == ADMINS:
            continue
        assert {line.club for line in notice.lines if line.club} <= {notice.channel}
        named = [a for a in notice.extra.get("apps", "").split(", ") if a]
        assert {a.split("/")[0] for a in named} <= {notice.channel}
        assert named or any(line.club for line in notice.lines)  # it names something of theirs
        assert set(notice.mention_user_ids) <= {CAPTAINS[notice.channel]}
