"""Shared fixtures: one embedded ClickHouse engine per test process, one database per test.

chdb opens a single data directory per process, so isolation comes from databases inside it.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigie.settings import Settings, load_settings
from vigie.store import Store, connect

_counter = itertools.count()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture()
def settings(chdb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    name = f"t{os.getpid()}_{next(_counter)}"
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DSN", f"chdb://{chdb_dir}")
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DATABASE", name)
    monkeypatch.setenv("VIGIE_CONFIG_DIR", str(tmp_path))
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
