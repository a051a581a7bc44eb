from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from tests.fakes.discord import GUILD_ID, FakeDiscord, pinged
from tests.notify.builders import ADMIN_USERS, CAPTAINS, T0, Routing, line, notice
from tests.notify.conftest import Clock

from vigie.notify import embeds, render
from vigie.notify.discord import WebhookClient
from vigie.notify.dispatcher import Delivery
from vigie.notify.notice import IncidentLine
from vigie.store import Store

MakeDelivery = Callable[..., Delivery]


def _resolved(n: int = 0) -> IncidentLine:
    return replace(line(n), state="resolved", resolved_at=T0 + timedelta(minutes=40))


def test_open_ack_resolve_lifecycle(make_delivery: MakeDelivery, route: Routing) -> None:
    delivery = make_delivery()
    delivery.start()
    delivery.submit([notice("open")])
    acked = replace(line(0), state="acknowledged", acknowledged_by="Zoé")
    delivery.submit([notice("ack", kind="ack", lines=[acked], edit_of="open")])
    delivery.submit([notice("resolve", kind="resolve", lines=[_resolved()], edit_of="open")])
    assert delivery.drain(10)
    hook = route.hooks["algo"]
    opened, follow_up = hook.posts  # the ack posted nothing: it edited the original
    assert pinged(opened) == {f"user:{uid}" for uid in CAPTAINS["algo"]}
    assert [mid for mid, _ in hook.edits] == [opened["id"], opened["id"]]
    final = hook.messages[opened["id"]]
    assert final["embeds"][0]["color"] == embeds.COLOURS["resolved"]
    assert all(pinged(body) == set() for _, body in hook.edits)
    link = f"https://discord.com/channels/{GUILD_ID}/{hook.channel_id}/{opened['id']}"
    assert link in follow_up["content"] and pinged(follow_up) == set()
    states = delivery.outbox.states(["open", "ack", "resolve"])
    assert states == {"open": "sent", "ack": "sent", "resolve": "sent"}


def test_edits_after_a_restart_merge_every_earlier_edit(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    first = make_delivery()
    first.submit([notice("open", lines=[line(0), line(1)])])
    first.submit([notice("r0", kind="resolve", lines=[_resolved(0)], edit_of="open")])
    assert first.drain(10)
    first.stop()
    second = make_delivery()  # knows nothing in memory: reads the outbox
    second.submit([notice("r1", kind="resolve", lines=[_resolved(1)], edit_of="open")])
    assert second.drain(10)
    message = route.hooks["algo"].messages[route.hooks["algo"].posts[0]["id"]]
    assert [e["color"] for e in message["embeds"]] == [embeds.COLOURS["resolved"]] * 2


def test_only_configured_captains_are_pinged(make_delivery: MakeDelivery, route: Routing) -> None:
    delivery = make_delivery()
    stranger = "444444444444444444"
    delivery.submit(
        [
            notice("a", mention_user_ids=(*CAPTAINS["algo"], stranger)),
            notice("b", lines=[line(severity="ticket")]),
            notice(
                "p", channel="admins", kind="platform", mention_user_ids=(*ADMIN_USERS, stranger)
            ),
        ]
    )
    assert delivery.drain(10)
    page, ticket = route.hooks["algo"].posts
    assert pinged(page) == {f"user:{uid}" for uid in CAPTAINS["algo"]}
    assert pinged(ticket) == set()
    assert pinged(route.hooks["admins"].posts[0]) == {f"user:{ADMIN_USERS[0]}"}


def test_admin_roles_are_pinged_on_pages_only_and_never_by_an_edit(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    role = "555555555555555555"
    route.alerts = route.alerts.model_copy(
        update={"admins": route.alerts.admins.model_copy(update={"roles": [role]})}
    )
    delivery = make_delivery()
    wanted = (*ADMIN_USERS, f"&{role}", "&666666666666666666")  # the last one: not configured
    acked = replace(line(0), state="acknowledged", acknowledged_by="Zoé", acknowledged_at=T0)
    delivery.submit(
        [
            notice("p", channel="admins", mention_user_ids=wanted),
            notice(
                "t", channel="admins", lines=[line(1, severity="ticket")], mention_user_ids=wanted
            ),
            notice("a", channel="admins", kind="ack", lines=[acked], edit_of="p"),
        ]
    )
    assert delivery.drain(10)
    page, ticket = route.hooks["admins"].posts
    assert pinged(page) == {f"user:{ADMIN_USERS[0]}", f"role:{role}"}
    assert page["allowed_mentions"] == {"parse": [], "users": list(ADMIN_USERS), "roles": [role]}
    assert pinged(ticket) == set()
    ((_, edit),) = route.hooks["admins"].edits
    assert pinged(edit) == set() and f"<@&{role}>" in edit["content"]  # shown, not pinged


def test_dead_webhook_is_never_retried_and_admins_are_told(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    hook = route.hooks["algo"]
    hook.deleted = True
    delivery = make_delivery()
    delivery.submit([notice("a"), notice("b")])
    assert delivery.drain(10)
    assert hook.requests == 1  # the second notice is not even tried
    assert delivery.outbox.states(["a", "b"]) == {"a": "dead", "b": "dead"}
    (told,) = route.hooks["admins"].posts
    assert "Club Algo" in told["content"] and "404" in told["content"]
    assert hook.token not in str(told)
    stored = str(delivery.outbox._store.query("SELECT * FROM vigie_outbox").rows)
    assert "dead" in stored and hook.token not in stored
    delivery.stop()
    # A restart remembers: no request, no second admin message.
    again = make_delivery()
    again.start()
    again.submit([notice("c")])
    assert again.drain(10)
    assert hook.requests == 1 and len(route.hooks["admins"].posts) == 1
    assert again.outbox.states(["c"]) == {"c": "dead"}


def _eventually(condition: Callable[[], bool]) -> bool:
    """Waits for ``condition`` (bounded, so that a broken dispatcher fails instead of hanging)."""
    deadline = time.monotonic() + 20
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_slow_channel_does_not_delay_the_others(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    algo, robo = route.hooks["algo"], route.hooks["robo"]
    algo.held = threading.Event()  # algo's answers hang until released
    delivery = make_delivery()
    delivery.submit([notice(f"a{i}") for i in range(3)])
    delivery.submit([notice(f"r{i}", channel="robo", locale="en") for i in range(3)])
    try:
        assert _eventually(lambda: algo.requests == 1)  # algo's first post is in flight
        # robo's three posts go through while algo's first one is still unanswered.
        assert _eventually(lambda: len(robo.posts) == 3)
        assert algo.requests == 1 and algo.posts == []
    finally:
        algo.held.set()
    assert delivery.drain(10)
    assert len(algo.posts) == 3


def test_failures_are_retried_in_order_and_recorded(
    make_delivery: MakeDelivery, route: Routing, outbox_store: Store
) -> None:
    reader = InMemoryMetricReader()
    hook = route.hooks["algo"]
    hook.fail_next(503, 3)
    client = WebhookClient(backoff_base_s=0.01, max_attempts=2)
    delivery = make_delivery(client, meter_provider=MeterProvider(metric_readers=[reader]))
    delivery.submit([notice("first"), notice("second", lines=[line(1)])])
    assert delivery.drain(10)
    assert [p["embeds"][0]["url"] for p in hook.posts] == [
        line(0).incident_url,
        line(1).incident_url,
    ]
    rows = outbox_store.query(
        "SELECT event, count() FROM vigie_outbox WHERE channel = 'algo' GROUP BY event"
    ).rows
    assert dict(rows)["sent"] == 2 and dict(rows)["retried"] >= 3
    data = reader.get_metrics_data()
    points = {
        m.name: sum(p.value for p in m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name in ("vigie.notify.sent", "vigie.notify.retried")
    }
    assert points["vigie.notify.sent"] == 2 and points["vigie.notify.retried"] >= 3


def test_pending_notices_are_sent_once_after_a_crash_before_sending(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    crashed = make_delivery()
    crashed.outbox.record([notice("a"), notice("b", channel="robo", locale="en")])  # then crash
    restarted = make_delivery()
    assert restarted.start() == 2
    assert restarted.drain(10)
    restarted.stop()
    third = make_delivery()
    assert third.start() == 0
    third.submit([notice("a")])  # a producer re-submitting after its own crash: ignored
    assert third.drain(10)
    assert len(route.hooks["algo"].posts) == 1 and len(route.hooks["robo"].posts) == 1


def test_crash_between_discord_answer_and_mark_duplicates_once(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    """The documented window: Discord accepted, the process died before writing ``sent``."""
    crashed = make_delivery()
    n = notice("a")
    crashed.outbox.record([n])
    body = render.render_message(n, club_names={})
    WebhookClient().execute(route.alerts.club("algo").webhook.resolve(route.environ), body)
    restarted = make_delivery()
    restarted.start()
    assert restarted.drain(10)
    assert len(route.hooks["algo"].posts) == 2  # at least once: a duplicate, never a loss


def test_restart_mid_storm_loses_nothing(
    make_delivery: MakeDelivery, route: Routing, discord: FakeDiscord
) -> None:
    for hook in route.hooks.values():
        hook.limit, hook.period_s = 3, 0.3
    first = make_delivery()
    keys = [f"{channel}-{i}" for channel in ("algo", "robo") for i in range(6)]
    first.submit(
        [
            notice(k, channel=k.split("-")[0], locale="en", lines=[line(i)])
            for i, k in enumerate(keys)
        ]
    )
    time.sleep(0.3)
    first.stop()  # "crash": whatever is in flight stays pending
    second = make_delivery()
    second.start()
    assert second.drain(20)
    assert set(second.outbox.states(keys).values()) == {"sent"}
    posted = [p["embeds"][0]["url"] for c in ("algo", "robo") for p in route.hooks[c].posts]
    assert {line(i).incident_url for i in range(12)} == set(posted)  # nothing lost
    assert len(posted) - 12 <= 2  # at most the one in flight per channel, twice


def test_old_and_unroutable_notices_fail_without_a_request(
    make_delivery: MakeDelivery, route: Routing, clock: Clock
) -> None:
    delivery = make_delivery()
    clock.now = T0 + timedelta(hours=7)
    delivery.submit([notice("old"), notice("nowhere", channel="ghost")])
    assert delivery.drain(10)
    assert delivery.outbox.states(["old", "nowhere"]) == {"old": "failed", "nowhere": "failed"}
    assert route.hooks["algo"].requests == 0


@pytest.mark.parametrize("kind", ["webhook_dead", "report_ready"])
def test_admin_kinds_render_and_send(
    make_delivery: MakeDelivery, route: Routing, kind: str
) -> None:
    delivery = make_delivery()
    extra = {"channel": "robo", "url": "https://vigie.example/reports/INC-1"}
    delivery.submit([notice("x", channel="admins", kind=kind, lines=(), extra=extra)])
    assert delivery.drain(10)
    (post,) = route.hooks["admins"].posts
    assert pinged(post) == set()


def test_resolve_of_a_deleted_original_still_tells_the_channel(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    delivery = make_delivery()
    delivery.submit([notice("open")])
    assert delivery.drain(10)
    hook = route.hooks["algo"]
    hook.messages.clear()  # a human deleted the message
    delivery.submit([notice("resolve", kind="resolve", lines=[_resolved()], edit_of="open")])
    assert delivery.drain(10)
    assert hook.edits == [] and len(hook.posts) == 2
    assert (
        "Résolu" in hook.posts[1]["content"]
        and "discord.com/channels" not in hook.posts[1]["content"]
    )
    assert delivery.outbox.states(["resolve"]) == {"resolve": "sent"}


def test_ack_of_a_never_sent_original_is_posted(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    delivery = make_delivery()
    acked = replace(line(0), state="acknowledged", acknowledged_by="Zoé")
    delivery.submit([notice("ack", kind="ack", lines=[acked], edit_of="missing")])
    assert delivery.drain(10)
    (post,) = route.hooks["algo"].posts
    assert post["content"] == "👀 Pris en charge : app-0 · availability."


def test_sixty_huge_hostile_incidents_are_accepted_by_discord(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    hostile = "@everyone <@&1> [x](http://e.example) `" + "é" * 5000
    lines = [line(i, app=f"{'a' * 300}{i}", slo="s" * 300, summary=hostile) for i in range(60)]
    delivery = make_delivery()
    delivery.submit(
        [
            notice(
                "fr",
                channel="admins",
                kind="platform",
                lines=lines,
                extra={"reason": hostile},
                mention_user_ids=ADMIN_USERS,
            ),
            notice("en", channel="robo", locale="en", lines=lines),
        ]
    )
    assert delivery.drain(10)
    for channel in ("admins", "robo"):
        hook = route.hooks[channel]
        assert hook.rejected == [] and len(hook.posts) == 1
        assert re.search(r"(de plus|more)$", hook.posts[0]["embeds"][-1]["description"])
    # The notice asked for algo's captains: they are not robo's, so nobody is pinged there.
    assert pinged(route.hooks["robo"].posts[0]) == set()
    assert pinged(route.hooks["admins"].posts[0]) == {f"user:{ADMIN_USERS[0]}"}


def test_a_long_rate_limit_is_waited_out_not_hammered(
    make_delivery: MakeDelivery, route: Routing
) -> None:
    hook = route.hooks["algo"]
    hook.limit, hook.period_s = 1, 1.2
    # The client refuses to block a worker longer than 0.1 s: the worker waits Discord's hint.
    delivery = make_delivery(WebhookClient(max_wait_s=0.1))
    delivery.submit([notice("a"), notice("b", lines=[line(1)])])
    assert delivery.drain(10)
    assert len(hook.posts) == 2
    assert hook.throttled == 1  # one 429, then a single wait of its retry_after
