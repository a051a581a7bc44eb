from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from tests.apps import bearer, slo_app

from vigie.config.slo import SloFile
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

NOW = datetime.now(UTC).replace(minute=0, second=10, microsecond=0) - timedelta(hours=1)

FILES = [
    SloFile.model_validate(
        {
            "app": "shop",
            "club": "cedille",
            "slos": [
                {"name": "avail", "objective": 99.9, "sli": {"kind": "availability"}},
                {"name": "fast", "objective": 90, "sli": {"kind": "latency", "threshold_ms": 50}},
            ],
        }
    ),
    SloFile.model_validate(
        {
            "app": "wiki",
            "club": "cedille",
            "slos": [{"name": "avail", "objective": 99, "sli": {"kind": "availability"}}],
        }
    ),
]


def client_for(store: Store) -> TestClient:
    return TestClient(slo_app(store, FILES, lambda: NOW))


@pytest.fixture()
def client(db: Store) -> TestClient:
    start = NOW - timedelta(hours=3)
    # shop: 20% errors in the last 30 minutes (pages); wiki: clean and fast
    insert_traffic(db, service="shop", start=start, duration=timedelta(minutes=150), per_minute=20)
    insert_traffic(
        db,
        service="shop",
        start=NOW - timedelta(minutes=30),
        duration=timedelta(minutes=30),
        per_minute=20,
        error_every=5,
    )
    insert_traffic(db, service="wiki", start=start, duration=timedelta(hours=3), per_minute=20)
    client = client_for(db)
    client.headers.update(bearer(client.app, "admin"))  # type: ignore[arg-type]
    return client


def test_list_and_filters(client: TestClient) -> None:
    body = client.get("/api/v1/slos").json()
    assert {(s["app"], s["slo"]): s["state"] for s in body["slos"]} == {
        ("shop", "avail"): "page",
        ("shop", "fast"): "ok",
        ("wiki", "avail"): "ok",
    }
    paged = client.get("/api/v1/slos", params={"state": "page"}).json()["slos"]
    assert [(s["app"], s["slo"]) for s in paged] == [("shop", "avail")]
    assert len(client.get("/api/v1/slos", params={"app": "wiki"}).json()["slos"]) == 1
    assert client.get("/api/v1/slos", params={"state": "bad"}).status_code == 422


def test_detail_has_a_bounded_series(client: TestClient) -> None:
    params = {
        "from": (NOW - timedelta(hours=1)).isoformat(),
        "to": NOW.replace(second=0).isoformat(),
        "step": 600,
    }
    body = client.get("/api/v1/slos/cedille/shop/avail", params=params).json()
    assert body["state"] == "page"
    points = body["series"]["points"]
    assert len(points) == 6
    assert [p["total"] for p in points] == [200] * 6
    # the last 30 minutes fail one request in five
    assert [p["sli"] for p in points] == [1.0, 1.0, 1.0, 0.8, 0.8, 0.8]
    wide = client.get(
        "/api/v1/slos/cedille/shop/avail",
        params={"from": (NOW - timedelta(days=60)).isoformat(), "to": NOW.isoformat(), "step": 60},
    ).json()
    assert len(wide["series"]["points"]) <= 1440
    assert client.get("/api/v1/slos/cedille/shop/nope").status_code == 404


def test_unanswerable_is_503(store: Store) -> None:
    client = client_for(store)  # no rollup tables: the store rejects every query
    answer = client.get("/api/v1/slos", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 503
    assert "SELECT" not in answer.text and "Code:" not in answer.text  # nothing of the engine's


def test_a_captain_sees_only_their_club(client: TestClient) -> None:
    other = bearer(client.app, "captain", "other")  # type: ignore[arg-type]
    assert client.get("/api/v1/slos", headers=other).json()["slos"] == []
    assert client.get("/api/v1/slos", headers=other, params={"club": "cedille"}).status_code == 403
    theirs = client.get("/api/v1/slos/cedille/shop/avail", headers=other)
    unknown = client.get("/api/v1/slos/other/shop/avail", headers=other)
    assert theirs.status_code == unknown.status_code == 404
    mine = bearer(client.app, "captain", "cedille")  # type: ignore[arg-type]
    assert len(client.get("/api/v1/slos", headers=mine).json()["slos"]) == 3
