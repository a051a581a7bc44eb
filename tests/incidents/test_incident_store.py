"""The event log in ClickHouse: folding what was stored equals the state kept in memory, and a
service restarted mid-way resumes exactly where it stopped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from incident_builders import T0, RecordingDelivery, config, evaluation, replay, target

from vigie.incidents.grouping import Planned
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.incidents.state import fold
from vigie.incidents.store import IncidentStore
from vigie.store import Store

TICK = timedelta(seconds=30)
SHOP, CART, WIKI = target("alpha", "shop"), target("beta", "cart"), target("gamma", "wiki")
LINKS = Links("https://vigie.example", "https://grafana.example")
TIMELINE = [
    {SHOP: "ticket", CART: "ok", WIKI: "no_data"},
    {SHOP: "page", CART: "page", WIKI: "no_data"},
    {SHOP: "ok", CART: "page", WIKI: "ok"},
    {SHOP: "ok", CART: "low_traffic", WIKI: "ok"},
    {SHOP: "ok", CART: "ok", WIKI: "ok"},
    {SHOP: "page", CART: "ok", WIKI: "ok"},  # shop flaps: re-opened
    {SHOP: "page", CART: "ok", WIKI: "no_data"},
]


def service(db: Store, delivery: RecordingDelivery | None = None) -> IncidentService:
    return IncidentService(db, config(), LINKS, delivery=delivery)


def test_restart_resumes_exactly(db: Store, delivery: RecordingDelivery) -> None:
    steps = [(T0 + i * TICK, states) for i, states in enumerate(TIMELINE)]
    first = service(db, delivery)
    for at, states in steps[:4]:
        first.run_cycle(evaluation(at, states), now=at)
    second = service(db, delivery)  # a new process: nothing but the store carries over
    for at, states in steps[4:]:
        second.run_cycle(evaluation(at, states), now=at)
    memory_events, memory = replay(steps, no_data_is_dead=False)  # no traffic stored
    stored_events = IncidentStore(db).load_live(T0 - timedelta(days=1))[0]
    # the pipeline measures each resolution's impact on the (here empty) rollup: 0 requests
    impacts = [
        e.cause["impact"] for e in stored_events if e.kind == "resolved" and e.slo == "availability"
    ]
    assert impacts and all((i["failed"], i["total"]) == (0, 0) for i in impacts)
    stored_events = [
        replace(e, cause={k: v for k, v in e.cause.items() if k != "impact"})
        for e in stored_events
    ]
    assert fold(stored_events) == memory
    key = lambda e: (e.incident_id, e.seq)  # noqa: E731
    assert sorted(stored_events, key=key) == sorted(memory_events, key=key)
    kinds = {e.kind for e in memory_events}
    assert {"opened", "escalated", "calm", "resolved", "reopened"} <= kinds


def test_live_incidents_are_open_or_recently_resolved(db: Store) -> None:
    steps = [(T0, {SHOP: "page", CART: "page"})]
    steps += [(T0 + i * TICK, {SHOP: "ok", CART: "page"}) for i in (1, 2, 3)]
    events, incidents = replay(steps)
    IncidentStore(db).append(events)
    shop = next(i for i in incidents.values() if i.app == "shop")
    assert not shop.is_open
    resolved_at = shop.resolved_at
    assert resolved_at is not None
    recent = fold(IncidentStore(db).load_live(resolved_at)[0])
    old = fold(IncidentStore(db).load_live(resolved_at + timedelta(seconds=1))[0])
    assert shop.id in recent and shop.id not in old
    assert {i.app for i in old.values()} == {"cart"}  # still open


def test_notification_log_round_trip(db: Store) -> None:
    _, incidents = replay([(T0, {SHOP: "page", CART: "page"})])
    inc = sorted(incidents.values(), key=lambda i: i.id)
    store = IncidentStore(db)
    planned = [
        Planned("N-1", "admins", "open", tuple(inc), (), None, "r", (1, 1)),
        Planned("N-2", "alpha", "resolve", (inc[0],), (), "N-1", "r", (4,)),
    ]
    store.record_notices(planned, T0)
    told = store.told_about([inc[0].id])
    assert [(t.key, t.channel, t.kind, t.incident_ids, t.seqs, t.created_at, t.edit_of)
            for t in told] == [
        ("N-1", "admins", "open", (inc[0].id, inc[1].id), (1, 1), T0, ""),
        ("N-2", "alpha", "resolve", (inc[0].id,), (4,), T0, "N-1"),
    ]  # fmt: skip
    assert store.told_about([inc[1].id])[0].key == "N-1"
    assert store.told_about([]) == []


def test_api_reads_filter_by_club_and_app(db: Store) -> None:
    events, incidents = replay(
        [(T0, {SHOP: "page", CART: "ticket"}), (T0 + TICK, {SHOP: "ok", CART: "ticket"})]
    )
    store = IncidentStore(db)
    store.append(events)
    assert {i.app for i in store.incidents()} == {"shop", "cart"}
    assert [i.app for i in store.incidents(club="beta")] == ["cart"]
    assert [i.app for i in store.incidents(club="alpha", app="shop")] == ["shop"]
    assert store.incidents(app="nope") == []
    assert store.incidents(since=T0 + timedelta(hours=1)) == []
    shop = next(i for i in incidents.values() if i.app == "shop")
    found, its_events = store.incident(shop.id)
    assert found == shop
    assert [e.kind for e in its_events] == ["opened", "calm"]
    assert store.incident("INC-NOPE") == (None, [])
