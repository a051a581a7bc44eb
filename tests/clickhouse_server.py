"""A ClickHouse server for the store-facing tests, as a DSN and nothing else.

``VIGIE_TEST_CLICKHOUSE_URL=http://user:password@host:8123`` uses that server;
``VIGIE_TEST_CLICKHOUSE_URL=docker`` starts the image the manifests pin
(deploy/base/clickhouse/statefulset.yaml) with testcontainers, for the session. Without either,
or without a Docker engine for ``docker``, the tests that need a server are skipped with the way
to run them.
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

SERVER_ENV = "VIGIE_TEST_CLICKHOUSE_URL"
STATEFULSET = Path(__file__).resolve().parents[1] / "deploy/base/clickhouse/statefulset.yaml"
HOW = (f"no ClickHouse server: set {SERVER_ENV}=http://user:password@host:8123, or "
       f"{SERVER_ENV}=docker where a Docker engine runs (testcontainers starts the pinned image)")
_USER, _PASSWORD = "vigie", "vigie-tests"


def pinned_image() -> str:
    """The clickhouse-server image of the manifests' StatefulSet."""
    docs = yaml.safe_load_all(STATEFULSET.read_text(encoding="utf-8"))
    (statefulset,) = [d for d in docs if d and d["kind"] == "StatefulSet"]
    image: str = statefulset["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def _without_database(url: str) -> str:
    """Each test makes its own database: a database in the URL would override it."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _docker_available() -> bool:
    return bool(os.environ.get("DOCKER_HOST")) or Path("/var/run/docker.sock").exists()


def server_dsn(setting: str) -> Iterator[str]:
    if not setting:
        pytest.skip(HOW)
    if setting != "docker":
        yield _without_database(setting)
        return
    if not _docker_available():
        pytest.skip(f"{SERVER_ENV}=docker but no Docker engine here; {HOW}")
    from testcontainers.core.container import DockerContainer

    # As docker-compose.yml runs it: one user, allowed to manage access (row policy tests).
    container = (DockerContainer(pinned_image()).with_env("CLICKHOUSE_USER", _USER)
                 .with_env("CLICKHOUSE_PASSWORD", _PASSWORD)
                 .with_env("CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT", "1")
                 .with_exposed_ports(8123))
    with container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(8123)
        _wait_ready(f"http://{host}:{port}/ping")
        yield f"http://{_USER}:{_PASSWORD}@{host}:{port}"


def _wait_ready(url: str, attempts: int = 120) -> None:
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"ClickHouse at {url} did not answer")
