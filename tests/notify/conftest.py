from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from tests.fakes.discord import FakeDiscord
from tests.notify.builders import T0, Routing, routing

from vigie.notify.discord import WebhookClient
from vigie.notify.dispatcher import Delivery
from vigie.store import Store
from vigie.store.migrations import m0025_notify_outbox
from vigie.store.migrations.context import MigrationContext


@pytest.fixture()
def discord() -> Iterator[FakeDiscord]:
    """A fake Discord on loopback; webhooks default to Discord's 5 requests per 2 s."""
    with FakeDiscord() as fake:
        yield fake


@pytest.fixture()
def outbox_store(store: Store) -> Store:
    """A store with the outbox table (migration 0025 only: the tests need nothing else)."""
    for statement in m0025_notify_outbox.statements(MigrationContext(database=store.database)):
        store.command(statement)
    return store


class Clock:
    """A clock that stands still unless moved (outbox times must still be ordered)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def route(discord: FakeDiscord) -> Routing:
    return routing(discord)


@pytest.fixture()
def make_delivery(
    outbox_store: Store, route: Routing, clock: Clock
) -> Iterator[Callable[..., Delivery]]:
    """Builds Delivery instances (several = restarts) over the same outbox; stops them all."""
    made: list[Delivery] = []

    def make(client: WebhookClient | None = None, **knobs: object) -> Delivery:
        knobs.setdefault("retry_delay_s", 0.05)
        delivery = Delivery(
            outbox_store,
            route.alerts,
            route.environ,
            client or WebhookClient(backoff_base_s=0.02),
            clock,
            **knobs,  # type: ignore[arg-type]
        )
        made.append(delivery)
        return delivery

    yield make
    for delivery in made:
        delivery.stop(timeout=2)
