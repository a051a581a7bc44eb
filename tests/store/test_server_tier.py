"""The migrations against a real ClickHouse server: the tier that runs where one is reachable
(tests/clickhouse_server.py says how); here, without a server, it is skipped with that reason.
With VIGIE_TEST_CLICKHOUSE_URL set, every store-facing test runs on the server too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.clickhouse_server import pinned_image

from vigie.settings import load_settings
from vigie.store import Store, connect
from vigie.store import tables as t
from vigie.store.migrations import migrate, pending


@pytest.fixture()
def server_store(clickhouse_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DSN", clickhouse_server)
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DATABASE", "vigie_server_tier")
    settings = load_settings()
    store = connect(settings)
    try:
        yield store
    finally:
        store.command(f"DROP DATABASE IF EXISTS `{store.database}`")


def test_migrations_apply_on_the_server(server_store: Store) -> None:
    settings = load_settings()
    migrate(server_store, settings)
    assert pending(server_store, settings) == []
    rows = server_store.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", {"db": server_store.database}
    )
    names = {row[0] for row in rows.rows}
    assert {t.TRACES, t.LOGS} <= names


def test_the_pinned_image_is_a_full_release() -> None:
    image = pinned_image()
    assert image.startswith("clickhouse/clickhouse-server:") and image.count(".") >= 2
