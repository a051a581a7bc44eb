from __future__ import annotations

import pytest

from vigie.settings import Settings
from vigie.store import Store
from vigie.store.migrations import migrate


@pytest.fixture()
def db(store: Store, settings: Settings) -> Store:
    """A store with every migration applied."""
    migrate(store, settings)
    return store
