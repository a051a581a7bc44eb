"""Silences: matchers (exact, empty = any), time range, the events they cause, their storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from incident_builders import T0, replay, target

from vigie.incidents.model import Incident
from vigie.incidents.silences import Silence, SilenceStore, matching, new_silence, silence_events
from vigie.store import Store

HOUR = timedelta(hours=1)


def silence(sid: str = "SIL-A", club: str = "", app: str = "", slo: str = "") -> Silence:
    return Silence(sid, club, app, slo, T0, T0 + HOUR, "marie", "maintenance", T0)


def shop_incident() -> Incident:
    _, incidents = replay([(T0, {target("alpha", "shop", "latency"): "page"})])
    return next(iter(incidents.values()))


@pytest.mark.parametrize(
    ("matchers", "matches"),
    [
        ({}, True),
        ({"club": "alpha"}, True),
        ({"club": "beta"}, False),
        ({"club": "alpha", "app": "shop"}, True),
        ({"club": "alpha", "app": "cart"}, False),
        ({"app": "shop", "slo": "latency"}, True),
        ({"slo": "availability"}, False),
        ({"app": "sho"}, False),  # exact, not a prefix
        ({"club": "ALPHA"}, False),  # exact, case included
    ],
)
def test_matchers(matchers: dict[str, str], matches: bool) -> None:
    assert silence(**matchers).matches(shop_incident()) is matches


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (-timedelta(seconds=1), "pending"),
        (timedelta(0), "active"),
        (HOUR - timedelta(seconds=1), "active"),
        (HOUR, "expired"),
    ],
)
def test_time_range(offset: timedelta, state: str) -> None:
    assert silence().state(T0 + offset) == state


def test_matching_picks_an_active_one_deterministically() -> None:
    inc = shop_incident()
    later = replace(silence("SIL-0"), starts_at=T0 + HOUR, ends_at=T0 + 2 * HOUR)
    found = [
        silence("SIL-B", club="alpha"),
        silence("SIL-A", app="shop"),
        later,
        silence("SIL-C", club="beta"),
    ]
    assert matching(found, inc, T0).id == "SIL-A"  # type: ignore[union-attr]
    assert matching(found, inc, T0 + HOUR + timedelta(minutes=1)).id == "SIL-0"  # type: ignore[union-attr]
    assert matching(found, inc, T0 + 3 * HOUR) is None


def test_silence_events_record_changes_only() -> None:
    inc = shop_incident()
    events = silence_events([inc], [silence(club="alpha")], T0)
    assert [(e.kind, e.seq, e.cause["silence_id"]) for e in events] == [("silenced", 2, "SIL-A")]
    assert "marie: maintenance" in events[0].reason
    silenced = replace(inc, silenced_by="SIL-A", last_seq=2)
    assert silence_events([silenced], [silence(club="alpha")], T0) == []
    ended = silence_events([silenced], [silence(club="alpha")], T0 + HOUR)
    assert [e.kind for e in ended] == ["unsilenced"]
    resolved = replace(inc, status="resolved")
    assert silence_events([resolved], [silence()], T0) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": T0}, "end must be after start"),
        ({"ends_at": T0 - HOUR, "starts_at": T0 - 2 * HOUR}, "in the past"),
        ({"author": "  "}, "author"),
        ({"comment": ""}, "comment"),
        ({"starts_at": T0.replace(tzinfo=None)}, "UTC offset"),
    ],
)
def test_new_silence_is_validated(changes: dict, message: str) -> None:
    fields = {
        "starts_at": T0,
        "ends_at": T0 + HOUR,
        "author": "marie",
        "comment": "c",
        "now": T0,
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        new_silence(**fields)


def test_store_round_trip_and_expiry(db: Store) -> None:
    store = SilenceStore(db)
    active = new_silence(
        club="alpha", starts_at=T0, ends_at=T0 + HOUR, author="m", comment="c", now=T0
    )
    pending = new_silence(
        app="shop", starts_at=T0 + HOUR, ends_at=T0 + 2 * HOUR, author="m", comment="c", now=T0
    )
    store.add(active)
    store.add(pending)
    assert sorted(store.all(), key=lambda s: s.id) == sorted([active, pending], key=lambda s: s.id)
    assert store.get(active.id) == active and store.get("SIL-NOPE") is None
    now = T0 + timedelta(minutes=10)
    assert store.expire(active.id, now).state(now) == "expired"  # type: ignore[union-attr]
    assert store.expire(pending.id, now).state(T0 + HOUR) == "expired"  # type: ignore[union-attr]
    assert {s.id: s.ends_at for s in store.all()} == {active.id: now, pending.id: now}
    assert store.expire("SIL-NOPE", now) is None
