"""One cycle end to end on the embedded engine: events written, notices submitted and logged."""

from __future__ import annotations

from datetime import timedelta

from incident_builders import CAPTAINS, T0, RecordingDelivery, config, evaluation, target

from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.incidents.store import EVENTS, NOTICES
from vigie.notify.notice import ADMINS
from vigie.store import Store

TICK = timedelta(seconds=30)
SHOP = target("alpha", "shop")
LINKS = Links("https://vigie.example/", "https://grafana.example")


def rows(db: Store, table: str) -> int:
    return int(db.query(f"SELECT count() FROM {table}").scalar())


def cycle(svc: IncidentService, k: int, states: dict, **kw: object):
    at = T0 + k * TICK
    return svc.run_cycle(evaluation(at, states), now=at, **kw)  # type: ignore[arg-type]


def test_open_notify_resolve(db: Store, delivery: RecordingDelivery) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery)
    first = cycle(svc, 0, {SHOP: "page"})
    assert [e.kind for e in first.events] == ["opened"] and first.notices == ()
    second = cycle(svc, 1, {SHOP: "page"})  # group_wait (30 s) elapsed
    assert second.events == ()
    assert sorted((n.channel, n.kind) for n in delivery.notices) == [
        (ADMINS, "open"),
        ("alpha", "open"),
    ]
    club = next(n for n in delivery.notices if n.channel == "alpha")
    line = club.lines[0]
    assert club.mention_user_ids == (CAPTAINS["alpha"],) and club.locale == "fr"
    assert (line.app, line.slo, line.severity, line.state) == (
        "shop",
        "availability",
        "page",
        "open",
    )
    assert line.burn_window == "1h" and line.burn_rate is not None and line.objective == 99.9
    assert line.incident_url == f"https://vigie.example/incidents/{line.incident_id}"
    # The generated uid, over the incident's time range: from an hour before it, until now.
    start_ms = int((line.since - timedelta(hours=1)).timestamp() * 1000)
    assert (
        line.dashboard_url == f"https://grafana.example/d/vigie-alpha-shop?from={start_ms}&to=now"
    )
    assert line.failing_now is not None and 0 < line.failing_now <= 1
    assert line.sli == "availability"
    assert rows(db, NOTICES) == 2
    for k in (2, 3, 4):
        cycle(svc, k, {SHOP: "ok"})
    assert cycle(svc, 12, {SHOP: "ok"}).notices  # group_interval (5 min) after the announcement
    resolves = [n for n in delivery.notices if n.kind == "resolve"]
    opens = {n.channel: n.key for n in delivery.notices if n.kind == "open"}
    assert sorted((n.channel, n.edit_of) for n in resolves) == sorted(opens.items())
    assert resolves[0].lines[0].state == "resolved" and resolves[0].lines[0].resolved_at
    assert cycle(svc, 13, {SHOP: "ok"}).notices == ()


def test_dry_run_writes_and_sends_nothing(db: Store, delivery: RecordingDelivery) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery)
    dry = cycle(svc, 0, {SHOP: "page"}, dry_run=True)
    assert [e.kind for e in dry.events] == ["opened"] and dry.dry_run
    assert rows(db, EVENTS) == 0 and delivery.calls == 0
    cycle(svc, 0, {SHOP: "page"})
    preview = cycle(svc, 1, {SHOP: "page"}, dry_run=True)
    assert len(preview.notices) == 2 and delivery.calls == 0 and rows(db, NOTICES) == 0
    real = cycle(svc, 1, {SHOP: "page"})
    # the same instant gives the same keys: a replay after a crash is no new message
    assert [n.key for n in real.notices] == [n.key for n in preview.notices]


def test_an_evaluation_is_applied_once(db: Store) -> None:
    svc = IncidentService(db, config(), LINKS)
    cycle(svc, 0, {SHOP: "page"})
    cycle(svc, 1, {SHOP: "ok"})
    again = cycle(svc, 1, {SHOP: "ok"})
    assert again.events == () and again.skipped and "already applied" in again.skipped
    assert rows(db, EVENTS) == 2


def test_silenced_incidents_are_recorded_not_notified(
    db: Store, delivery: RecordingDelivery
) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery, clock=lambda: T0)
    silence = svc.add_silence(
        club="alpha", app="shop", starts_at=None, ends_at=T0 + timedelta(hours=1),
        author="marie", comment="migration de la base",
    )  # fmt: skip
    out = cycle(svc, 0, {SHOP: "page"})
    assert [e.kind for e in out.events] == ["opened", "silenced"]
    assert out.events[1].cause["silence_id"] == silence.id
    cycle(svc, 4, {SHOP: "page"})
    assert delivery.notices == []
    svc.clock = lambda: T0 + 5 * TICK
    svc.expire_silence(silence.id)
    out = cycle(svc, 5, {SHOP: "page"})
    assert [e.kind for e in out.events] == ["unsilenced"]
    assert {n.channel for n in delivery.notices} == {ADMINS, "alpha"}  # told once unsilenced


def test_acknowledge_stops_repeats_and_edits(db: Store, delivery: RecordingDelivery) -> None:
    svc = IncidentService(db, config(), LINKS, delivery=delivery, clock=lambda: T0 + 2 * TICK)
    cycle(svc, 0, {SHOP: "page"})
    cycle(svc, 1, {SHOP: "page"})
    incident = svc.find(state="open")[0]
    acked = svc.acknowledge(incident.id, "marie")
    assert acked.state == "acknowledged" and acked.acknowledged_by == "marie"
    assert svc.acknowledge(incident.id, "paul").acknowledged_by == "marie"  # no-op
    cycle(svc, 3, {SHOP: "page"})
    acks = [n for n in delivery.notices if n.kind == "ack"]
    opens = {n.channel: n.key for n in delivery.notices if n.kind == "open"}
    assert sorted((n.channel, n.edit_of) for n in acks) == sorted(opens.items())
    assert acks[0].lines[0].acknowledged_by == "marie"
    before = len(delivery.notices)
    cycle(svc, 2 + 4 * 120 + 1, {SHOP: "page"})  # past repeat_interval: no reminder
    assert len(delivery.notices) == before


def test_platform_incident_one_notice_per_channel(db: Store, delivery: RecordingDelivery) -> None:
    apps = {target(c, f"app{i}"): "page" for c in CAPTAINS for i in range(4)}
    svc = IncidentService(db, config(), LINKS, delivery=delivery)
    cycle(svc, 0, apps)
    cycle(svc, 1, apps)
    assert sorted((n.channel, n.kind) for n in delivery.notices) == [
        (ADMINS, "platform"),
        ("alpha", "platform_captain"),
        ("beta", "platform_captain"),
        ("gamma", "platform_captain"),
    ]
    for n in delivery.notices:
        platform, *covered = n.lines
        assert platform.slo == "(platform)" and n.extra["platform_incident"] == platform.incident_id
        assert n.extra["apps_total"] == "12"  # apps evaluated: "12 of 12" in words
        expected = 12 if n.channel == ADMINS else 4
        assert len(covered) == expected
        if n.channel != ADMINS:
            assert {line.club for line in covered} == {n.channel}


def test_an_acknowledgement_does_not_count_as_an_applied_evaluation(db: Store) -> None:
    svc = IncidentService(db, config(), LINKS, clock=lambda: T0 + timedelta(minutes=10))
    cycle(svc, 0, {SHOP: "page"})
    svc.acknowledge(svc.find()[0].id, "marie")  # at T0 + 10 min, after the next evaluation
    out = cycle(svc, 1, {SHOP: "ok"})
    assert out.skipped is None and [e.kind for e in out.events] == ["calm"]


def test_after_evaluation_never_raises(store: Store, delivery: RecordingDelivery) -> None:
    svc = IncidentService(store, config(), LINKS, delivery=delivery)  # tables never created
    assert svc.after_evaluation(evaluation(T0, {SHOP: "page"})) is None
    assert svc.failures == 1
    assert svc.after_evaluation(None) is None and svc.failures == 1


def test_platform_incident_names_late_joiners_and_every_announcement_hears_the_end(
    db: Store, delivery: RecordingDelivery
) -> None:
    apps = {target(c, f"app{i}"): "ok" for c in CAPTAINS for i in range(4)}
    paging = {**apps, **{target("alpha", f"app{i}"): "page" for i in range(4)}}
    paging[target("beta", "app0")] = "page"  # 5 of 12 apps page: a platform incident
    svc = IncidentService(db, config(), LINKS, delivery=delivery)
    cycle(svc, 0, paging)
    cycle(svc, 1, paging)
    announced = {n.channel: n for n in delivery.notices}
    assert sorted(announced) == [ADMINS, "alpha", "beta"]
    admin = announced[ADMINS]
    assert admin.lines[0].dashboard_url.startswith("https://grafana.example/d/vigie-overview?")
    assert admin.extra["apps"].split(", ") == [
        "alpha/app0", "alpha/app1", "alpha/app2", "alpha/app3", "beta/app0",
    ]  # fmt: skip
    assert announced["beta"].extra["apps"] == "beta/app0"  # a captain sees their own apps
    # gamma's app0 joins later: gamma's captains hear of it at once, the admins at the next
    # group interval, alpha and beta (nothing of theirs changed) not at all.
    joined = {**paging, target("gamma", "app0"): "page"}
    out = cycle(svc, 2, joined)
    assert [e.kind for e in out.events if e.slo == "(platform)"] == ["widened"]
    assert [(n.channel, n.kind, n.extra["apps"]) for n in out.notices] == [
        ("gamma", "platform_captain", "gamma/app0")
    ]
    for k in range(3, 12):
        cycle(svc, k, joined)
    updates = [n for n in delivery.notices if n.kind == "update"]
    assert [n.channel for n in updates] == [ADMINS] and "gamma/app0" in updates[0].extra["apps"]
    # The end: every message that announced it is edited (and followed up), captains included.
    for k in range(12, 40):
        cycle(svc, k, apps)
    ends = {
        n.channel: n.edit_of
        for n in delivery.notices
        if n.kind == "resolve" and n.lines[0].slo == "(platform)"
    }
    firsts = {
        n.channel: n.key for n in delivery.notices if n.kind in ("platform", "platform_captain")
    }
    assert ends == firsts and sorted(ends) == [ADMINS, "alpha", "beta", "gamma"]
