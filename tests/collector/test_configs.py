"""The committed collector configs and the builder manifest: valid for the real collector, in
step with the service (tables, database, TTL), documented in the order they run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.collector.otelcol import CONFIG_DIR, CONFIGS, REQUIRED_ENV, load

from vigie.settings import Settings
from vigie.store import tables

RELEASE = "v0.161.0"  # the collector release of the manifest, the image and the schema
STABLE = "v1.67.0"  # core's stable modules at that release
# Contrib modules that graduated to v1 in that release (k8sattributesprocessor v1.0.0 depends on
# internal/k8sconfig v0.161.0 and core v1.67.0).
GRADUATED = {
    "github.com/open-telemetry/opentelemetry-collector-contrib/processor/k8sattributesprocessor": (
        "v1.0.0"
    ),
}
# Components in the manifest that no committed config uses: the tests' own.
TEST_ONLY = {("exporters", "file")}


def manifest() -> dict[str, Any]:
    data = yaml.safe_load((CONFIG_DIR / "builder-config.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def used_components(config: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, type) of every component a config defines, e.g. ("processors", "transform")."""
    return {
        (kind, name.split("/")[0])
        for kind in ("receivers", "processors", "exporters", "extensions", "connectors")
        for name in config.get(kind) or {}
    }


@pytest.mark.parametrize("name", CONFIGS)
def test_real_collector_validates_config(otelcol: Path, name: str) -> None:
    result = subprocess.run(
        [str(otelcol), "validate", "--config", str(CONFIG_DIR / name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **REQUIRED_ENV.get(name, {})},
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_agent_needs_its_node_name(otelcol: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "K8S_NODE_NAME"}
    result = subprocess.run(
        [str(otelcol), "validate", "--config", str(CONFIG_DIR / "agent.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode != 0 and "K8S_NODE_NAME" in result.stderr


def test_manifest_builds_exactly_the_components_the_configs_use(otelcol: Path) -> None:
    built = yaml.safe_load(
        subprocess.run(
            [str(otelcol), "components"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    )
    in_binary = {
        (kind, item["name"])
        for kind in ("receivers", "processors", "exporters", "extensions", "connectors")
        for item in built.get(kind) or []
    }
    used = set().union(*(used_components(load(name)) for name in CONFIGS)) | TEST_ONLY
    assert used <= in_binary
    modules = {
        (kind, item["name"]): item["module"]
        for kind in ("receivers", "processors", "exporters", "extensions")
        for item in built.get(kind) or []
    }
    unused = {modules[c] for c in in_binary - used if c in modules}
    assert not unused, f"built but used by no config: {sorted(unused)}"


def test_manifest_pins_one_collector_release() -> None:
    data = manifest()
    for kind in ("receivers", "processors", "exporters", "extensions", "providers"):
        for item in data[kind]:
            module, version = item["gomod"].split()
            if module in GRADUATED:
                expected = GRADUATED[module]
            elif module.startswith("github.com/open-telemetry/opentelemetry-collector-contrib/"):
                expected = RELEASE
            elif kind == "providers":
                expected = STABLE
            else:
                expected = RELEASE
            assert version == expected, item["gomod"]
    assert data["telemetry"]["gomod"].split()[1] == RELEASE
    assert data["dist"]["output_path"] == "./_build"
    build = (CONFIG_DIR / "build.sh").read_text(encoding="utf-8")
    assert f"BUILDER_VERSION={RELEASE}" in build


@pytest.mark.parametrize("name", CONFIGS)
def test_memory_limiter_runs_first_everywhere(name: str) -> None:
    for pipeline in load(name)["service"]["pipelines"].values():
        assert pipeline["processors"][0] == "memory_limiter"


@pytest.mark.parametrize("name", CONFIGS)
def test_header_documents_processors_in_the_order_they_run(name: str) -> None:
    text = (CONFIG_DIR / name).read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    documented = re.findall(r"^#\s+\d+\.\s+(\S+)", header, flags=re.MULTILINE)
    pipelines = load(name)["service"]["pipelines"]
    for pipeline in pipelines.values():
        assert pipeline["processors"] == documented


@pytest.mark.parametrize("name", ["gateway.yaml", "local.yaml"])
def test_clickhouse_exporter_writes_the_service_schema(name: str) -> None:
    config = load(name)
    exporter = config["exporters"]["clickhouse"]
    defaults = Settings.model_fields
    assert exporter["create_schema"] is False
    database = defaults["clickhouse_database"].default
    assert exporter["database"] == "${env:CLICKHOUSE_DATABASE:-" + database + "}"
    assert exporter["ttl"] == f"{defaults['ttl_days'].default * 24}h"
    assert exporter["traces_table_name"] == tables.TRACES
    assert exporter["logs_table_name"] == tables.LOGS
    assert {kind: t["name"] for kind, t in exporter["metrics_tables"].items()} == {
        "gauge": tables.METRICS_GAUGE,
        "sum": tables.METRICS_SUM,
        "summary": tables.METRICS_SUMMARY,
        "histogram": tables.METRICS_HISTOGRAM,
        "exponential_histogram": tables.METRICS_EXPONENTIAL_HISTOGRAM,
    }


@pytest.mark.parametrize("name", ["gateway.yaml", "local.yaml"])
def test_a_clickhouse_outage_waits_on_disk(name: str) -> None:
    config = load(name)
    exporter = config["exporters"]["clickhouse"]
    queue = exporter["sending_queue"]
    assert queue["enabled"] is True
    assert queue["storage"] in config["extensions"]
    assert queue["storage"].startswith("file_storage")
    assert queue["storage"] in config["service"]["extensions"]
    assert exporter["retry_on_failure"]["enabled"] is True
    assert exporter["retry_on_failure"]["max_elapsed_time"] == "0s"  # retry until it is back
    assert "health_check" in config["service"]["extensions"]


def test_agent_adds_where_the_data_comes_from() -> None:
    k8s = load("agent.yaml")["processors"]["k8s_attributes"]
    assert {
        "k8s.namespace.name",
        "k8s.pod.name",
        "k8s.deployment.name",
        "k8s.node.name",
    } <= set(k8s["extract"]["metadata"])
    assert {"tag_name": "club", "key": "club", "from": "namespace"} in k8s["extract"]["labels"]
    assert k8s["filter"]["node_from_env_var"] == "K8S_NODE_NAME"


def test_agent_forwards_to_the_gateway_port() -> None:
    agent = load("agent.yaml")
    gateway = load("gateway.yaml")
    target = agent["exporters"]["otlp_grpc/gateway"]["endpoint"]
    grpc = gateway["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert target.rstrip("}").rsplit(":", 1)[1] == grpc.rsplit(":", 1)[1] == "4317"
