"""collector_config/cluster.yaml and probes.yaml run on the contrib image, not on otelcol-vigie
(the binary cannot validate them): their pipelines are checked for consistency here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

CONFIG_DIR = Path(__file__).resolve().parents[2] / "collector_config"


@pytest.mark.parametrize("name", ["cluster.yaml", "probes.yaml"])
def test_pipelines_use_only_defined_components(name: str) -> None:
    config: dict[str, Any] = yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))
    used: dict[str, set[str]] = {"receivers": set(), "processors": set(), "exporters": set()}
    for pipeline in config["service"]["pipelines"].values():
        for kind in used:
            used[kind] |= set(pipeline.get(kind, []))
    for kind, names in used.items():
        assert names <= set(config[kind]), f"{name}: undefined {kind}"
        assert set(config[kind]) <= names, f"{name}: unused {kind}"
    assert set(config["service"]["extensions"]) <= set(config["extensions"])
    assert config["exporters"]["otlp"]["endpoint"].startswith("${env:VIGIE_GATEWAY_ENDPOINT")


def test_cluster_collector_sends_events_as_logs() -> None:
    config = yaml.safe_load((CONFIG_DIR / "cluster.yaml").read_text(encoding="utf-8"))
    assert config["service"]["pipelines"]["logs"]["receivers"] == ["k8s_events"]
    assert {"k8s_cluster", "kubeletstats"} <= set(
        config["service"]["pipelines"]["metrics"]["receivers"])
