"""Shared fixtures: one embedded ClickHouse engine per test process, one database per test.

chdb opens a single data directory per process, so isolation comes from databases inside it.
The same store-facing tests run against a ClickHouse server when ``VIGIE_TEST_CLICKHOUSE_URL``
names one (``http://user:password@host:8123``, no database: each test makes its own), or is
``docker``: then testcontainers starts the image deploy/ pins (a Docker engine is needed).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.clickhouse_server import SERVER_ENV, server_dsn

from vigie.settings import Settings, load_settings
from vigie.store import Store, connect

_counter = itertools.count()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def clickhouse_server() -> Iterator[str]:
    """The DSN of a ClickHouse server; skipped, with how to get one, when there is none."""
    yield from server_dsn(os.environ.get(SERVER_ENV, ""))


@pytest.fixture(scope="session")
def store_dsn(request: pytest.FixtureRequest, chdb_dir: Path) -> str:
    """Where the store-facing tests write: the embedded engine, or the server named above."""
    if os.environ.get(SERVER_ENV):
        dsn: str = request.getfixturevalue("clickhouse_server")
        return dsn
    return f"chdb://{chdb_dir}"


@pytest.fixture()
def settings(store_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    name = f"t{os.getpid()}_{next(_counter)}"
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DSN", store_dsn)
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DATABASE", name)
    monkeypatch.setenv("VIGIE_CONFIG_DIR", str(tmp_path))
    # Tests that are not about ingest tokens send anonymously (tests/ingest/test_senders.py).
    monkeypatch.setenv("VIGIE_INGEST_ANONYMOUS", "true")
    return load_settings()


@pytest.fixture()
def store(settings: Settings) -> Iterator[Store]:
    s = connect(settings)
    yield s
    s.command(f"DROP DATABASE IF EXISTS `{s.database}`")


@pytest.fixture()
def sample_config(settings: Settings) -> Path:
    """The repository's sample ``slo/`` and ``alerts/``, copied into the test's config dir."""
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, settings.config_dir / part)
    return settings.config_dir
