"""Schemathesis over the OpenAPI schema with an admin token: no input gives a 5xx.

Every operation of the schema gets :data:`EXAMPLES` generated requests (bounded, no deadline:
chdb's fixed cost per query varies on a busy machine) against :func:`vigie.server.create_app` over
the repository's sample configuration (the app ``vigie serve`` runs, lifespan included), on one
database for the module. Silences the run creates
are expired at the end, and the test checks that none stays active.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from tests.apps import services_of

from vigie.server import create_app
from vigie.settings import load_settings
from vigie.store import connect

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("VIGIE_FUZZ_EXAMPLES", "15"))
_run = itertools.count()


@pytest.fixture(scope="module")
def fuzzed(chdb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    config_dir = tmp_path_factory.mktemp("fuzz-config")
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, config_dir / part)
    app_settings = load_settings(
        clickhouse_dsn=f"chdb://{chdb_dir}",
        clickhouse_database=f"fuzz{os.getpid()}_{next(_run)}",
        config_dir=config_dir,
    )
    store = connect(app_settings)
    app = create_app(app_settings, store, schedule=False)
    with TestClient(app):  # runs the lifespan: the runtime as `vigie serve` has it
        services = services_of(app)
        token, _ = services.tokens.create("admin", label="fuzz")
        yield {"app": app, "headers": {"Authorization": f"Bearer {token}"}}
        incidents = services.incidents
        for silence in incidents.list_silences():
            incidents.expire_silence(silence.id)
        assert incidents.list_silences() == []  # nothing the run created stays active
    store.command(f"DROP DATABASE IF EXISTS `{store.database}`")


def operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_input_makes_a_server_error(fuzzed: dict[str, Any]) -> None:
    found = operations(fuzzed["app"])
    assert len(found) > 10  # the schema lists the API
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for operation in found:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call(headers=fuzzed["headers"])
            statuses[response.status_code] += 1
            if response.status_code >= 500 or "Traceback" in response.text:
                what = f"{case.method} {case.formatted_path} {case.query} {case.body!r}"
                failures.append(f"{what} -> {response.status_code} {response.text[:200]}")

        check()
    assert failures == []
    # the run reached the handlers, not only the validation
    assert statuses[200] + statuses[201] > len(found) and statuses[422] > 0, statuses
