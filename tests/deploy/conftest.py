"""The rendered manifests, once per session (kustomize is a subprocess of about a second)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.deploy.rendered import DEPLOY, ENVIRONMENTS, REQUIRE_ENV, Obj, build, find_tool


def _tool(name: str) -> Path:
    found = find_tool(name)
    if found is not None:
        return found
    message = (f"{name} is not installed: `go install` it at the version .ci/run pins "
               f"(the deploy tests then run here too)")
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def kustomize() -> Path:
    return _tool("kustomize")


@pytest.fixture(scope="session")
def kube_score() -> Path:
    return _tool("kube-score")


@pytest.fixture(scope="session")
def rendered(kustomize: Path) -> dict[str, list[Obj]]:
    """Environment → every object its overlay renders."""
    return {env: build(kustomize, DEPLOY / env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def objects(request: pytest.FixtureRequest, rendered: dict[str, list[Obj]]) -> list[Obj]:
    result: list[Obj] = rendered[request.param]
    return result
