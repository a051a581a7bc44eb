from __future__ import annotations

import json
from datetime import timedelta

from tests.notify.builders import T0, line, notice
from tests.notify.conftest import Clock

from vigie.notify.notice import notice_from_json, notice_to_json
from vigie.notify.outbox import Outbox
from vigie.notify.render import render_message
from vigie.store import Store


def test_notice_json_round_trip() -> None:
    n = notice(
        lines=[line(0), line(1, resolved_at=line(1).since, state="resolved")],
        extra={"url": "https://r.example"},
        edit_of="k0",
    )
    assert notice_from_json(notice_to_json(n)) == n


def test_a_notice_recorded_before_the_new_fields_still_loads_and_renders() -> None:
    """Outbox rows written by the previous version (no clues, time zone or role mentions, a
    platform ``reason``) are still sent after an upgrade."""
    data = json.loads(notice_to_json(notice(extra={"reason": "5 of 5 apps page at once"})))
    for name in ("timezone",):
        del data[name]
    for entry in data["lines"]:
        for name in (
            "acknowledged_at",
            "sli",
            "threshold_ms",
            "failing_now",
            "burn_rates",
            "routes",
        ):
            del entry[name]
    old = notice_from_json(json.dumps(data))
    assert old.timezone == "America/Montreal" and old.lines[0].routes == ()
    body = render_message(old, club_names={})
    assert "of 5 apps" not in str(body)  # the engine's reason is never shown


def test_record_is_idempotent_per_key(outbox_store: Store, clock: Clock) -> None:
    outbox = Outbox(outbox_store, clock)
    assert [n.key for n in outbox.record([notice("a"), notice("b"), notice("a")])] == ["a", "b"]
    assert [n.key for n in outbox.record([notice("b"), notice("c")])] == ["c"]
    assert [n.key for n in outbox.pending()] == ["a", "b", "c"]
    assert outbox.pending()[0] == notice("a")


def test_state_is_the_latest_outcome_even_with_a_standing_clock(
    outbox_store: Store, clock: Clock
) -> None:
    outbox = Outbox(outbox_store, clock)  # the clock never moves: times are still ordered
    a, b, c = notice("a"), notice("b"), notice("c")
    outbox.record([a, b, c])
    outbox.mark(a, "retried", detail="rate_limited")
    outbox.mark(a, "sent", message_id="123", discord_channel_id="9")
    outbox.mark(b, "retried", detail="server_error")
    outbox.mark(c, "dead")
    assert outbox.states(["a", "b", "c"]) == {"a": "sent", "b": "pending", "c": "dead"}
    assert [n.key for n in outbox.pending()] == ["b"]
    sent = outbox.sent("a")
    assert sent is not None and (sent.message_id, sent.discord_channel_id) == ("123", "9")
    assert sent.notice == a
    assert outbox.sent("b") is None and outbox.sent("zzz") is None


def test_sent_edits_in_order(outbox_store: Store, clock: Clock) -> None:
    outbox = Outbox(outbox_store, clock)
    first, second, unsent = (notice(k, kind="ack", edit_of="orig") for k in ("e1", "e2", "e3"))
    outbox.record([notice("orig"), second, first, unsent])
    outbox.mark(first, "sent", message_id="1")
    outbox.mark(second, "sent", message_id="1")
    assert [n.key for n in outbox.sent_edits("orig")] == ["e1", "e2"]


def test_attempt_outcomes_per_channel_are_queryable(outbox_store: Store, clock: Clock) -> None:
    outbox = Outbox(outbox_store, clock)
    a, b = notice("a"), notice("b", channel="robo")
    outbox.record([a, b])
    outbox.mark(a, "retried")
    outbox.mark(a, "sent", message_id="1")
    outbox.mark(b, "failed", detail="400")
    rows = outbox_store.query(
        "SELECT channel, event, count() FROM vigie_outbox GROUP BY channel, event "
        "ORDER BY channel, event"
    ).rows
    assert rows == [
        ("algo", "pending", 1),
        ("algo", "retried", 1),
        ("algo", "sent", 1),
        ("robo", "failed", 1),
        ("robo", "pending", 1),
    ]


def test_pending_since_keeps_whole_histories(outbox_store: Store, clock: Clock) -> None:
    outbox = Outbox(outbox_store, clock)
    sent_late, stale = notice("sent-late"), notice("stale")
    outbox.record([sent_late, stale])
    clock.now = T0 + timedelta(hours=1)
    outbox.mark(sent_late, "sent", message_id="1")  # its pending row is before the cut
    outbox.record([notice("recent")])
    cut = T0 + timedelta(minutes=30)
    assert [n.key for n in outbox.pending(cut)] == ["recent"]
    assert [n.key for n in outbox.pending()] == ["stale", "recent"]
