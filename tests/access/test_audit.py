"""The audit trail: uses kept in memory and written in one insert per flush."""

from __future__ import annotations

from datetime import UTC, datetime

from vigie.access.audit import AuditTrail
from vigie.access.tokens import Principal
from vigie.store import Store


def test_uses_are_written_in_batches(db: Store) -> None:
    at = db.query("SELECT now64(3, 'UTC')").scalar().replace(tzinfo=UTC)
    trail = AuditTrail(db, clock=lambda: at)
    marie = Principal("0123456789ab", "captain", "alpha", "marie")
    for route in ("/api/v1/incidents", "/api/v1/slos", "/incidents/{incident_id}"):
        trail.record(marie, "GET", route)
    assert db.query("SELECT count() FROM vigie_token_uses").scalar() == 0  # nothing written yet
    assert trail.flush() == 3 and trail.flush() == 0
    uses = trail.uses()
    assert sorted(u["route"] for u in uses) == [
        "/api/v1/incidents", "/api/v1/slos", "/incidents/{incident_id}",
    ]  # fmt: skip
    assert {(u["token_id"], u["label"], u["club"]) for u in uses} == {
        ("0123456789ab", "marie", "alpha")
    }
    assert isinstance(uses[0]["at"], datetime)


def test_a_refused_batch_is_kept_for_the_next_flush(store: Store) -> None:
    trail = AuditTrail(store)  # no migrations: the table does not exist yet
    trail.record(Principal("0123456789ab", "admin", "", ""), "GET", "/api/v1/tokens")
    assert trail.flush() == 0
    store.command(
        "CREATE TABLE vigie_token_uses (at DateTime64(3, 'UTC'), token_id String, role String, "
        "club String, label String, method String, route String) ENGINE = MergeTree ORDER BY at"
    )
    assert trail.flush() == 1
