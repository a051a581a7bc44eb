"""The generated dashboards type-check against Grafana's own types (``@grafana/schema``), and a
wrong field name or type makes ``tsc`` fail (see ``typecheck/emit.py``).

Needs ``npm ci`` in ``tests/dashboards/typecheck`` (``.ci/run`` does it and sets
``VIGIE_REQUIRE_TYPECHECK=1``, so that CI fails instead of skipping).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dashboards.typecheck.emit import typescript

from vigie.config import load_config
from vigie.dashboards.build import dashboards

HERE = Path(__file__).parent / "typecheck"
TSC = HERE / "node_modules" / ".bin" / "tsc"


@pytest.fixture()
def workdir() -> Iterator[Path]:
    if not TSC.exists():
        if os.environ.get("VIGIE_REQUIRE_TYPECHECK") == "1":
            pytest.fail(f"{TSC} is missing: run `npm ci` in {HERE}")
        pytest.skip("TypeScript not installed (npm ci in tests/dashboards/typecheck)")
    # Inside the package, so that tsc resolves @grafana/schema from its node_modules.
    path = Path(tempfile.mkdtemp(prefix="run-", dir=HERE))
    (path / "tsconfig.json").write_text(json.dumps({"extends": "../tsconfig.json",
                                                    "include": ["*.ts"]}))
    yield path
    shutil.rmtree(path)


def _tsc(workdir: Path, files: dict[str, dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    for name, data in files.items():
        (workdir / f"{name}.ts").write_text(typescript(name, data), encoding="utf-8")
    return subprocess.run([str(TSC), "-p", str(workdir)], capture_output=True, text=True,
                          timeout=300, check=False)


def _repo_dashboards() -> dict[str, dict[str, Any]]:
    root = Path(__file__).resolve().parents[2]
    return {b.path.replace("/", "__").removesuffix(".json"): b.json
            for b in dashboards(load_config(root))}


def test_generated_dashboards_satisfy_grafana_schema(workdir: Path) -> None:
    result = _tsc(workdir, _repo_dashboards())
    assert result.returncode == 0, result.stdout + result.stderr


def _panel(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(p for p in data["panels"] if p["type"] == kind)


def test_a_wrong_field_name_or_type_fails(workdir: Path) -> None:
    site = _repo_dashboards()["algoets__site-web"]
    broken: dict[str, dict[str, Any]] = {}

    def breaking(name: str) -> dict[str, Any]:
        broken[name] = copy.deepcopy(site)
        return broken[name]

    breaking("dashboard_key")["refersh"] = "1m"
    breaking("dashboard_type")["graphTooltip"] = "shared"
    _panel(breaking("option_name"), "timeseries")["options"]["legend"]["showLegnd"] = True
    _panel(breaking("custom_type"), "timeseries")["fieldConfig"]["defaults"]["custom"][
        "fillOpacity"] = "10"
    _panel(breaking("stat_enum"), "stat")["options"]["colorMode"] = "rainbow"
    _panel(breaking("override_value"), "table")["fieldConfig"]["overrides"][0]["properties"][0][
        "value"] = 3
    _panel(breaking("target_field"), "table")["targets"][0]["rawSQL"] = "SELECT 1"
    result = _tsc(workdir, broken)
    assert result.returncode != 0
    for name in broken:
        assert f"{name}.ts(" in result.stdout, (name, result.stdout)
