from __future__ import annotations

from collections.abc import Iterator

import pytest

from vigie.settings import Settings
from vigie.store import Store
from vigie.store.migrations import migrate


@pytest.fixture()
def db(store: Store, settings: Settings) -> Iterator[Store]:
    """A store with every migration applied (exporter tables, rollups, the probe rollup)."""
    migrate(store, settings)
    yield store
