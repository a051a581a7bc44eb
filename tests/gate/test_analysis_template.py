"""The ClusterAnalysisTemplate of deploy/, rendered as Argo Rollouts does, against the gate.

Its URL (arguments substituted) is asked of the gate; the answer is judged by a small Go
program using the expression library Argo Rollouts uses (expr-lang/expr), with Argo's rule for
success and failure conditions: ok → Successful, fail → Failed, inconclusive → Inconclusive.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from tests.gate.test_gate_api import CANARY, STABLE, Clock, _client, _engine_minute, _traffic

from vigie.store import Store

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "prod" / "analysis-template.yaml"
HARNESS = Path(__file__).resolve().parent / "argo_expr"


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("go") is None:
        if os.environ.get("CI"):
            pytest.fail("Go is needed to judge the template as Argo Rollouts does")
        pytest.skip("Go is not installed: the template's conditions cannot be run")
    binary = tmp_path_factory.mktemp("argo") / "argoexpr"
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=HARNESS, check=True,
                   timeout=600)
    return binary


def _metric() -> dict[str, str]:
    template = yaml.safe_load(TEMPLATE.read_text())
    assert template["kind"] == "ClusterAnalysisTemplate"
    (metric,) = template["spec"]["metrics"]
    assert metric["provider"]["web"]["jsonPath"] == "{$}"
    assert metric["failureLimit"] == 0 and metric["inconclusiveLimit"] >= 1
    return metric  # type: ignore[no-any-return]


def _url(metric: dict[str, str], **args: str) -> str:
    url: str = metric["provider"]["web"]["url"]  # type: ignore[index]
    for name, value in args.items():
        url = url.replace("{{args." + name + "}}", value)
    assert "{{" not in url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _phase(judge: Path, metric: dict[str, str], result: object) -> str:
    given = {"result": result, "success": metric["successCondition"],
             "failure": metric["failureCondition"]}
    run = subprocess.run([str(judge)], input=json.dumps(given), capture_output=True, text=True,
                         check=True, timeout=60)
    return run.stdout.strip()


@pytest.mark.parametrize(("canary_share", "canary_rate", "phase"), [
    (0.0, 20, "Successful"),
    (0.3, 20, "Failed"),
    (0.0, 0.5, "Inconclusive"),
])
def test_the_template_reads_every_verdict(db: Store, judge: Path, canary_share: float,
                                          canary_rate: float, phase: str) -> None:
    start = _engine_minute(db) - timedelta(minutes=20)
    _traffic(db, STABLE, start - timedelta(minutes=60), 80, 180)
    _traffic(db, CANARY, start, 20, canary_rate, failing_share=canary_share)
    client, _ = _client(db, Clock(start + timedelta(minutes=10)))
    client.headers.pop("Authorization", None)  # Argo sends no token
    metric = _metric()
    for stable in (STABLE, ""):  # the stable version is optional
        url = _url(metric, club="alpha", app="shop", **{"canary-version": CANARY,
                                                        "stable-version": stable})
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        assert _phase(judge, metric, answer.json()) == phase, answer.json()


def test_the_first_gates_template_still_reads_ok(judge: Path) -> None:
    legacy = {"successCondition": "result.ok == true", "failureCondition": ""}
    assert _phase(judge, legacy, {"verdict": "ok", "ok": True}) == "Successful"
    assert _phase(judge, legacy, {"verdict": "fail", "ok": False}) == "Failed"
    # Without a failureCondition, Argo fails what is not a success: canary templates need both.
    assert _phase(judge, legacy, {"verdict": "inconclusive", "ok": None}) == "Failed"
