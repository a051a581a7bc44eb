"""Clues of a notice (top error, routes hit, SLO kind) read from seeded telemetry on chdb."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from tests.reports.report_seed import LOG_COLUMNS, OPENED, RESOLVED, config, seed

from vigie.incidents.store import IncidentStore
from vigie.notify.clues import Clues
from vigie.settings import Settings
from vigie.store import Store
from vigie.store.migrations import migrate


@pytest.fixture()
def db(store: Store, settings: Settings) -> Iterator[Store]:
    migrate(store, settings)
    yield store


def test_a_notice_learns_the_top_error_and_the_routes_hit(db: Store) -> None:
    seeded = seed(db)
    (incident,) = [
        i for i in IncidentStore(db).incidents(club="alpha") if i.id == seeded.incident_id
    ]
    clue = Clues(db, config()).of([incident], OPENED + timedelta(minutes=5))[incident.id]
    assert clue.sli == "availability" and clue.threshold_ms is None
    assert clue.top_error in ("database is locked", "pool exhausted")
    assert clue.routes[0] == "/api/cart"  # the only route whose requests failed


def test_the_top_error_is_scrubbed_and_cut_short(db: Store) -> None:
    seeded = seed(db)
    leak = "refused for jeanne.tremblay@example.org " + "x" * 400
    rows = [
        [RESOLVED - timedelta(minutes=1), "", "", "ERROR", 17, "shop", leak, {}] for _ in range(500)
    ]
    db.insert("otel_logs", LOG_COLUMNS, rows)
    (incident,) = [
        i for i in IncidentStore(db).incidents(club="alpha") if i.id == seeded.incident_id
    ]
    clue = Clues(db, config()).of([incident], RESOLVED)[incident.id]
    assert clue.top_error.startswith("refused for ")
    assert "jeanne" not in clue.top_error and len(clue.top_error) <= 200


def test_pseudo_slos_have_no_clues(db: Store) -> None:
    seeded = seed(db)
    (shop,) = [i for i in IncidentStore(db).incidents(club="alpha") if i.id == seeded.incident_id]
    pseudo = [replace(shop, id=f"INC-{slo}", slo=slo) for slo in ("(silent)", "(platform)")]
    clues = Clues(db, config()).of([*pseudo, shop], RESOLVED)
    assert list(clues) == [shop.id]
