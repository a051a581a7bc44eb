"""kube-score (the platform's manifest linter) over each overlay's rendered objects: no warning,
no critical. Checks off for one object carry a `kube-score/ignore` annotation there with the
reason beside it; kube-score's optional checks stay off. docs/deploy.md lists both."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from tests.deploy.rendered import ENVIRONMENTS, Obj

# Objects whose annotation switches a check off, and which checks (the reviewed list).
IGNORED = {
    ("Deployment", "vigie"): {"deployment-strategy", "deployment-replicas"},
    ("StatefulSet", "clickhouse"): {"container-security-context-user-group-id"},
    ("NetworkPolicy", "vigie-agent"): {"networkpolicy-targets-pod"},
    ("NetworkPolicy", "vigie-gateway"): {"networkpolicy-targets-pod"},
}


def _score(kube_score: Path, objects: list[Obj]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kube_score), "score", "--output-format", "ci", "-"],
        input=yaml.safe_dump_all(objects), capture_output=True, text=True, timeout=120,
        check=False,
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_kube_score_passes(kube_score: Path, rendered: dict[str, list[Obj]], env: str) -> None:
    done = _score(kube_score, rendered[env])
    findings = [line for line in done.stdout.splitlines()
                if line.startswith(("[WARNING]", "[CRITICAL]"))]
    assert not findings, "\n".join(findings)
    assert done.returncode == 0, done.stderr
    assert "[OK]" in done.stdout


def test_ignores_are_the_reviewed_ones(rendered: dict[str, list[Obj]]) -> None:
    for env in ENVIRONMENTS:
        found = {
            (o["kind"], o["metadata"]["name"]):
                set(o["metadata"]["annotations"]["kube-score/ignore"].split(","))
            for o in rendered[env]
            if "kube-score/ignore" in o["metadata"].get("annotations", {})
        }
        assert found == IGNORED


def test_kube_score_would_catch_a_container_without_limits(
    kube_score: Path, rendered: dict[str, list[Obj]]
) -> None:
    objects = yaml.safe_load(yaml.safe_dump(rendered["prod"]))
    vigie = next(o for o in objects if o["kind"] == "Deployment")
    del vigie["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    done = _score(kube_score, objects)
    assert "[CRITICAL]" in done.stdout and done.returncode != 0
