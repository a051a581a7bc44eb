"""The service survives its store: it starts without it, says why it is not ready, becomes ready
once the store answers (no restart), tells the admins directly when evaluations keep failing and
when they work again, and the gate refuses to answer from a stale evaluation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.apps import bearer
from tests.fakes.discord import FakeDiscord

from vigie.errors import StoreUnavailable
from vigie.server import create_app
from vigie.settings import Settings, load_settings
from vigie.store import Store, connect

ADMIN_ENV = "VIGIE_DISCORD_ADMIN"


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll a condition the background thread makes true (bounded; no timing asserted)."""
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"never happened: {what}")


class Switch:
    """Opens the test's database only once switched on; until then the store is unreachable."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.up = threading.Event()
        self.attempts = 0

    def __call__(self) -> Store:
        self.attempts += 1
        if not self.up.is_set():
            raise StoreUnavailable("cannot reach store http://127.0.0.1:1: connection refused")
        return connect(self.settings)


def test_an_unreachable_store_is_not_ready_with_a_reason(
    settings: Settings, sample_config: Path
) -> None:
    unreachable = load_settings(clickhouse_dsn="http://127.0.0.1:1", config_dir=sample_config)
    app = create_app(unreachable, schedule=False, retry_delays_s=(30.0, 30.0))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert "store" in ready.json()["reason"] and "127.0.0.1" not in ready.text
        assert client.get("/api/v1/incidents").status_code == 503


def test_ready_once_the_store_answers_without_a_restart(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    switch = Switch(settings)
    app = create_app(settings, open_store=switch, schedule=False, retry_delays_s=(0.01, 0.05))
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 503
        wait_until(lambda: switch.attempts >= 3, "retries")
        assert client.get("/readyz").status_code == 503
        switch.up.set()
        wait_until(lambda: app.state.startup.ready.is_set(), "ready")
        assert client.get("/readyz").status_code == 200
        admin = bearer(app, "admin")
        assert client.get("/api/v1/incidents", headers=admin).status_code == 200


def test_admins_are_told_directly_once_and_once_on_recovery(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    now = [datetime.now(UTC)]
    switch = Switch(settings)
    with FakeDiscord() as discord:
        hook = discord.webhook()
        app = create_app(
            settings, open_store=switch, schedule=False, retry_delays_s=(0.01, 0.02),
            clock=lambda: now[0], environ={ADMIN_ENV: discord.url(hook)},
        )  # fmt: skip
        with TestClient(app):
            wait_until(lambda: switch.attempts >= 3, "failed attempts")
            assert hook.posts == []  # failing for less than the alarm time (2 min)
            now[0] += timedelta(minutes=3)
            wait_until(lambda: len(hook.posts) == 1, "the outage message")
            seen = switch.attempts
            wait_until(lambda: switch.attempts >= seen + 3, "more failed attempts")
            assert len(hook.posts) == 1  # told once
            switch.up.set()
            wait_until(lambda: app.state.startup.ready.is_set(), "ready")
            runtime = app.state.runtime
            runtime.after_evaluation(runtime.evaluator.evaluate(now[0]))
            runtime.after_evaluation(runtime.evaluator.evaluate(now[0]))
    texts = [p["content"] for p in hook.posts]
    assert len(texts) == 2, texts
    assert "n'arrive plus à évaluer les SLO depuis 3 min" in texts[0]
    assert "évalue de nouveau" in texts[1]
    assert not hook.rejected


def test_the_gate_answers_503_from_an_evaluation_older_than_two_intervals(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    now = [store.query("SELECT now64(3, 'UTC')").scalar().replace(tzinfo=UTC)]
    app = create_app(settings, store, clock=lambda: now[0], schedule=False)
    with TestClient(app) as client:
        runtime = app.state.runtime
        runtime.evaluator.evaluate(now[0])
        gate = "/api/v1/gate/cedille/wiki"
        assert client.get(gate).status_code == 200
        store.command("DROP TABLE vigie_slo_le_minute")  # from now on every evaluation fails
        now[0] += timedelta(seconds=2 * settings.evaluation_interval_s)
        assert client.get(gate).status_code == 200  # two intervals old: still answered
        now[0] += timedelta(seconds=1)
        stale = client.get(gate)
        assert stale.status_code == 503 and "ok" not in stale.json()
