"""``kustomize build`` of deploy/prod and deploy/staging, and what the tests read from it.

The binaries (kustomize, kube-score) come from the Go toolchain (.ci/run installs them, pinned):
tests that need them take the ``kustomize`` / ``kube_score`` fixtures (conftest.py), skipped with
the reason when they are missing, a failure instead when ``VIGIE_REQUIRE_DEPLOY_TOOLS=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from vigie.deploy import collectors

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ENVIRONMENTS = ("prod", "staging")
REQUIRE_ENV = "VIGIE_REQUIRE_DEPLOY_TOOLS"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

Obj = dict[str, Any]


def find_tool(name: str) -> Path | None:
    """On PATH, or where `go install` puts it (GOBIN, GOPATH/bin, ~/go/bin)."""
    found = shutil.which(name)
    if found:
        return Path(found)
    gopath = os.environ.get("GOPATH", str(Path.home() / "go"))
    for directory in (os.environ.get("GOBIN"), os.path.join(gopath, "bin")):
        if directory and (Path(directory) / name).is_file():
            return Path(directory) / name
    return None


def build(kustomize: Path, target: Path) -> list[Obj]:
    """The objects ``kustomize build target`` renders (fails the test on a build error)."""
    done = subprocess.run([str(kustomize), "build", str(target)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"kustomize build {target} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def name_of(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def pod_specs(obj: Obj) -> Iterator[tuple[Obj, dict[str, str]]]:
    """(pod spec, pod labels) of a workload; CronJob nests one level deeper."""
    if obj["kind"] not in WORKLOADS:
        return
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec["template"]
    yield template["spec"], template.get("metadata", {}).get("labels", {})


def operator_pods(obj: Obj) -> dict[str, str] | None:
    """Labels of the pods the OpenTelemetry operator makes for a collector resource."""
    if obj["kind"] != collectors.KIND:
        return None
    return collectors.pod_labels(obj["metadata"]["name"], obj["metadata"].get("labels", {}))


def containers(pod: Obj) -> list[Obj]:
    return [*pod.get("initContainers", []), *pod["containers"]]
