"""Report versions (append-only, stale edits refused) and drafting after incident cycles."""

from __future__ import annotations

import threading

import pytest
from report_seed import RESOLVED, Recording, Seeded, incident_events, seed

from vigie.incidents.inhibit import PlatformCondition
from vigie.incidents.pipeline import CycleOutcome
from vigie.incidents.store import IncidentStore
from vigie.reports.service import ReportService
from vigie.reports.store import StaleVersion
from vigie.store import Store


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db)


def outcome(seeded: Seeded, *, dry_run: bool = False) -> CycleOutcome:
    events = tuple(e for e in seeded.service.get(seeded.incident_id)[1] if e.kind == "resolved")
    return CycleOutcome(
        at=RESOLVED, events=events, notices=(), planned=(),
        platform=PlatformCondition(False, "ticket", "", (), 1), incidents=(), dry_run=dry_run,
    )  # fmt: skip


def test_versions_are_appended_and_stale_edits_refused(seeded: Seeded) -> None:
    reports = ReportService(seeded.service)
    first = reports.get_or_create(seeded.incident_id)
    assert (first.version, first.author, first.locale) == (1, "vigie", "fr")
    assert reports.get_or_create(seeded.incident_id).version == 1  # not generated twice
    items = [{"action": "pool limit", "owner": "léa"}, {"action": " ", "owner": ""}]
    second = reports.save(seeded.incident_id, 1, "marie", {"root_cause": "pool"}, items)
    assert second.version == 2 and second.sections == {"root_cause": "pool"}
    assert second.action_items == (
        {"action": "pool limit", "type": "", "owner": "léa", "due": "", "link": ""},
    )
    with pytest.raises(StaleVersion) as stale:
        reports.save(seeded.incident_id, 1, "paul", {"root_cause": "dns"}, [])
    assert (stale.value.based_on, stale.value.latest) == (1, 2)
    latest = reports.get(seeded.incident_id)
    assert latest is not None and latest.sections == {"root_cause": "pool"}
    assert latest.facts == first.facts
    assert [(v, a) for v, a, _ in reports.store.history(seeded.incident_id)] == [
        (1, "vigie"), (2, "marie"),
    ]  # fmt: skip


def test_concurrent_edits_of_one_version_one_wins(seeded: Seeded) -> None:
    reports = ReportService(seeded.service)
    reports.get_or_create(seeded.incident_id)
    results: list[str] = []

    def edit(name: str) -> None:
        try:
            reports.save(seeded.incident_id, 1, name, {"summary": name}, [])
            results.append("saved")
        except StaleVersion:
            results.append("stale")

    threads = [threading.Thread(target=edit, args=(f"w{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["saved", "stale", "stale", "stale"]
    assert [v for v, _, _ in reports.store.history(seeded.incident_id)] == [1, 2]


def test_after_cycle_drafts_once_and_announces(seeded: Seeded) -> None:
    delivery = Recording()
    seeded.service.delivery = delivery
    reports = ReportService(seeded.service)
    assert reports.after_cycle(outcome(seeded, dry_run=True)) == []
    drafted = reports.after_cycle(outcome(seeded))
    assert [d.incident_id for d in drafted] == [seeded.incident_id]
    assert reports.get(seeded.incident_id) is not None
    assert [(n.channel, n.locale, n.kind) for n in delivery.notices] == [
        ("alpha", "fr", "report_ready"), ("admins", "fr", "report_ready"),
    ]  # fmt: skip
    url = f"https://vigie.test/incidents/{seeded.incident_id}/report"
    assert all(n.extra["url"] == url for n in delivery.notices)
    assert delivery.notices[0].lines[0].incident_id == seeded.incident_id
    assert reports.after_cycle(outcome(seeded)) == []  # already drafted: nothing new
    assert len(delivery.notices) == 2


def test_after_cycle_survives_a_failing_incident(seeded: Seeded) -> None:
    reports = ReportService(seeded.service)
    broken = outcome(seeded)
    ghost = broken.events[0].__class__(**{**broken.events[0].__dict__, "incident_id": "INC-GONE"})
    mixed = CycleOutcome(**{**broken.__dict__, "events": (ghost, *broken.events)})
    assert [d.incident_id for d in reports.after_cycle(mixed)] == [seeded.incident_id]


def test_a_report_opened_before_the_resolution_gets_the_final_facts(db: Store) -> None:
    seeded = seed(db, resolved=False)
    delivery = Recording()
    seeded.service.delivery = delivery
    reports = ReportService(seeded.service)
    early = reports.get_or_create(seeded.incident_id)
    assert early.facts.incident.resolved_at is None
    reports.save(seeded.incident_id, 1, "marie", {"summary": "cart down"}, [])
    resolved = [e for e in incident_events() if e.kind == "resolved"]
    IncidentStore(db).append(resolved)
    [refreshed] = reports.after_cycle(outcome(seeded))
    assert (refreshed.version, refreshed.author) == (3, "vigie")
    assert refreshed.facts.incident.resolved_at == RESOLVED
    assert refreshed.sections == {"summary": "cart down"}
    assert len(delivery.notices) == 2
    assert reports.after_cycle(outcome(seeded)) == []
