from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vigie.settings import Settings
from vigie.store import Store
from vigie.store.migrations import migrate

# The seeded incident and the app builder are shared with the report tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reports"))


@pytest.fixture()
def db(store: Store, settings: Settings) -> Iterator[Store]:
    """A store with every migration applied."""
    migrate(store, settings)
    yield store


@pytest.fixture()
def seeded(db: Store) -> Any:
    """The seeded incident (resolved); a test module may override it."""
    from report_seed import seed

    return seed(db)


@pytest.fixture()
def client(seeded: Any) -> TestClient:
    from report_seed import build_app

    return TestClient(build_app(seeded.service), follow_redirects=False)
