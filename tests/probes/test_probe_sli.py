"""Probe SLIs on chdb: http_check-shaped export requests → probe rollup → the SLO decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.probes.httpcheck import Check, store_checks

from vigie.config.slo import SloFile
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.store import Store

URL = "https://club.example/"
OTHER = "https://club.example/api/health"


def site(**extra: object) -> SloFile:
    return SloFile.model_validate({
        "app": "site", "club": "algoets",
        "slos": [
            {"name": "up", "objective": 99, "sli": {"kind": "probe"}, "min_events": 10},
            {"name": "errors", "objective": 99, "sli": {"kind": "availability"}},
        ],
        "probes": [
            {"url": URL, "interval": "30s", "body_contains": "Bienvenue"},
            {"url": OTHER, "expect_status": 204},
        ],
        **extra,
    })


def engine_now(db: Store) -> datetime:
    moment: datetime = db.query("SELECT now()").scalar()
    return moment.replace(tzinfo=UTC)


def every_30s(start: datetime, end: datetime, url: str, **kw: object) -> list[Check]:
    out = []
    moment = start
    while moment < end:
        out.append(Check(url=url, at=moment, **kw))  # type: ignore[arg-type]
        moment += timedelta(seconds=30)
    return out


def status(db: Store, at: datetime, slo: str = "up") -> dict[str, object]:
    result = evaluate(db, targets_from_files([site()]), at)
    return next(s.as_dict() for s in result.statuses if s.target.name == slo)


def test_healthy_site_is_ok_and_counts_every_check(db: Store) -> None:
    now = engine_now(db).replace(second=0)
    start = now - timedelta(hours=2)
    store_checks(db, every_30s(start, now, URL, status=200, validation_failed=0))
    store_checks(db, every_30s(start, now, OTHER, status=204))
    got = status(db, now)
    assert got["state"] == "ok"
    assert got["events_total"] == 2 * 240 and got["events_bad"] == 0
    # the span SLO of the same app is untouched by probe results
    assert status(db, now, "errors")["state"] == "no_data"


def test_site_down_pages_with_since_and_the_probers_error(db: Store) -> None:
    now = engine_now(db).replace(second=0)
    start = now - timedelta(hours=2)
    broke = now - timedelta(minutes=20)
    refused = now - timedelta(minutes=10)
    store_checks(db, every_30s(start, broke, URL, status=200, validation_failed=0))
    store_checks(db, every_30s(broke, refused, URL, status=503, validation_failed=1))
    store_checks(db, every_30s(refused, now, URL, error="dial tcp 127.0.0.1:443: connect: "
                                                       "connection refused"))
    store_checks(db, every_30s(start, now, OTHER, status=204))
    got = status(db, now)
    assert got["state"] == "page", got["reason"]
    assert got["events_bad"] == 40
    [failure] = got["probe"]  # type: ignore[misc]
    assert failure["url"] == URL
    assert failure["since"] == broke.isoformat()
    assert failure["outcome"] == "error"
    assert failure["error"].endswith("connection refused")


def test_wrong_status_is_reported_with_the_code(db: Store) -> None:
    now = engine_now(db).replace(second=0)
    broke = now - timedelta(minutes=30)
    store_checks(db, every_30s(now - timedelta(hours=2), broke, URL, status=200,
                               validation_failed=0))
    store_checks(db, every_30s(broke, now, URL, status=503, validation_failed=1))
    got = status(db, now)
    assert got["state"] == "page"
    assert [(f["outcome"], f["error"]) for f in got["probe"]] == [("503", None)]  # type: ignore[attr-defined]


def test_body_without_the_expected_text_is_bad(db: Store) -> None:
    now = engine_now(db).replace(second=0)
    store_checks(db, every_30s(now - timedelta(hours=1), now, URL, status=200,
                               validation_failed=1))
    got = status(db, now)
    assert got["events_bad"] == got["events_total"] == 120
    assert got["state"] == "page"
    assert [f["outcome"] for f in got["probe"]] == ["invalid"]  # type: ignore[attr-defined]


def test_prober_that_stops_reporting_is_no_data_not_a_page(db: Store) -> None:
    now = engine_now(db).replace(second=0)
    # failing checks, then the prober itself goes quiet for half an hour
    store_checks(db, every_30s(now - timedelta(hours=2), now - timedelta(minutes=30), URL,
                               error="connection refused"))
    got = status(db, now)
    assert got["state"] == "no_data"
    assert str(got["reason"]).startswith("the prober has not reported")
    assert "probe" not in got


def test_probe_sli_needs_probes_and_unique_urls() -> None:
    with pytest.raises(ValueError, match="needs at least one entry in probes"):
        site(probes=[])
    with pytest.raises(ValueError, match="listed twice"):
        site(probes=[{"url": URL}, {"url": URL}])
    with pytest.raises(ValueError, match="between 10s and 5m"):
        site(probes=[{"url": URL, "interval": "1s"}])
    with pytest.raises(ValueError, match="String should match pattern"):
        site(probes=[{"url": "ftp://club.example/"}])


def test_probe_rollup_migration_uses_the_receivers_names() -> None:
    """Migration 75 keeps frozen copies of the http_check names (it imports no live code)."""
    from vigie.probes import metrics as m
    from vigie.store.migrations import m0075_probe_rollup as frozen

    assert (frozen.STATUS, frozen.ERROR, frozen.VALIDATION_FAILED, frozen.URL,
            frozen.STATUS_CODE) == (m.STATUS, m.ERROR, m.VALIDATION_FAILED, m.URL, m.STATUS_CODE)
