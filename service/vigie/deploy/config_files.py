"""``slo/`` and ``alerts/`` as one ConfigMap, mounted back as the same tree in the Vigie pod.

A ConfigMap key cannot hold ``/``, so each file gets a flat key (``slo__algoets__site-web.yaml``)
and the pod's volume maps every key back to its path (``items``). The files are copied under
``deploy/base/generated/config/`` because kustomize reads nothing outside the kustomization's
folder; the copy is generated and drift-checked like the rest. kustomize's
``configMapGenerator`` adds a hash of the content to the name: a change to an SLO or a route
rolls the pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CONFIG_MAP = "vigie-config"
VOLUME = "config"
SOURCES = ("slo", "alerts")
COPY_DIR = "config"


def flat_key(rel: str) -> str:
    return rel.replace("/", "__")


def generator(files: Mapping[str, str]) -> dict[str, Any]:
    """The ``configMapGenerator`` entry; ``files`` are paths relative to the repository."""
    return {
        "name": CONFIG_MAP,
        "files": [f"{flat_key(rel)}={COPY_DIR}/{rel}" for rel in sorted(files)],
    }


def volume_patch(files: Mapping[str, str], kind: str, name: str) -> dict[str, Any]:
    """Strategic-merge patch of a workload's ``config`` volume: each key at its path."""
    items = [{"key": flat_key(rel), "path": rel} for rel in sorted(files)]
    return {
        "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"volumes": [
            {"name": VOLUME, "configMap": {"name": CONFIG_MAP, "items": items}},
        ]}}},
    }
