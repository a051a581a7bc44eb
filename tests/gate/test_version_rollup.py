"""Migration 70's version rollup: frozen SQL that still says what slo/spans.py says, and counts
that equal the raw spans."""

from __future__ import annotations

from datetime import timedelta

from tests.gate.test_gate_api import _engine_minute

from vigie.slo import spans
from vigie.slo.synthetic import insert_traffic
from vigie.slo.versions import read_version_counts
from vigie.store import Store
from vigie.store.migrations import m0070_version_rollup as m70


def test_the_frozen_expressions_are_the_engine_s() -> None:
    # A change to slo/spans.py needs a new migration for this table: this test says so.
    assert (m70.SERVER_SPAN, m70.IS_ERROR, m70.ENVIRONMENT, m70.GRID_MS, m70.ROUTE) == (
        spans.SERVER_SPAN, spans.IS_ERROR, spans.ENVIRONMENT, spans.GRID_MS, spans.ROUTE)


def test_counts_equal_the_raw_spans(db: Store) -> None:
    now = _engine_minute(db)
    start = now - timedelta(minutes=20)
    for version, every, ms in (("1.0", 7, 20.0), ("1.1", 3, 180.0), ("", 0, 5.0)):
        insert_traffic(db, service="shop", start=start, duration=timedelta(minutes=15),
                       per_minute=13, error_every=every, version=version, duration_ms=ms,
                       duration_spread_ns=90_000_000)
    rows = read_version_counts(db, "shop", start, now)
    got: dict[tuple[str, bool], tuple[int, int]] = {}
    for row in rows:
        slow = row.le > 100
        total, errors = got.get((row.version, slow), (0, 0))
        got[(row.version, slow)] = (total + row.total, errors + row.errors)
    raw = db.query(
        "SELECT ResourceAttributes['service.version'], ceil(Duration / 1e6) > 100, count(), "
        f"countIf({spans.IS_ERROR}) FROM otel_traces GROUP BY 1, 2").rows
    assert got == {(v, bool(slow)): (int(t), int(e)) for v, slow, t, e in raw}
    assert {v for v, _ in got} == {"1.0", "1.1", ""}
