from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from vigie.notify.notice import Notice
from vigie.settings import Settings
from vigie.store import Store
from vigie.store.migrations import migrate


@pytest.fixture()
def db(store: Store, settings: Settings) -> Iterator[Store]:
    """A store with every migration applied."""
    migrate(store, settings)
    yield store


class RecordingDelivery:
    """Stands in for :class:`vigie.notify.dispatcher.Delivery`: keeps what it is given, and
    ignores a key it already has (the outbox's contract)."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.calls = 0

    def submit(self, notices: Sequence[Notice]) -> None:
        self.calls += 1
        known = {n.key for n in self.notices}
        self.notices += [n for n in notices if n.key not in known]


@pytest.fixture()
def delivery() -> RecordingDelivery:
    return RecordingDelivery()
