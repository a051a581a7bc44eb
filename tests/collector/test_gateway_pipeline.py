"""The agent's and the gateway's processors, run by the real collector as configured, with the
gateway's ClickHouse exporter swapped for a file exporter so the output can be read exactly.

An SDK-instrumented app sends the shared PII corpus; the output must hold the corpus' expected
text in every field (so the collector scrubs exactly as the service does), the attributes the
agent adds, and every span and log record.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.collector.app import check_scrubbed, corpus, send
from tests.collector.otelcol import (
    collector,
    load,
    local_endpoints,
    pipeline_processors,
    read_file_export,
    with_processors,
)

AGENT_ENV = {
    "K8S_NODE_NAME": "node-1",
    "K8S_CLUSTER_NAME": "ci-cluster",
    "DEPLOYMENT_ENVIRONMENT": "ci",
}
# k8s_attributes needs a Kubernetes API server; test_agent_k8s.py runs it against a fake one.
WITHOUT_API = {"k8s_attributes"}


def gateway_to_file(tmp_path: Path) -> tuple[dict[str, Any], dict[str, int], Path]:
    """gateway.yaml with its processors and extensions as committed, writing to a file."""
    config = copy.deepcopy(load("gateway.yaml"))
    ports = local_endpoints(config)
    queue = config["extensions"]["file_storage/queue"]
    queue["directory"] = queue["compaction"]["directory"] = str(tmp_path / "queue")
    out = tmp_path / "gateway-out.json"
    config["exporters"] = {"file/out": {"path": str(out)}}
    for pipeline in config["service"]["pipelines"].values():
        pipeline["exporters"] = ["file/out"]
    return config, ports, out


def test_agent_then_gateway_scrub_label_and_lose_nothing(otelcol: Path, tmp_path: Path) -> None:
    cases = corpus()
    gateway, gateway_ports, out = gateway_to_file(tmp_path)
    agent_file = load("agent.yaml")
    agent = with_processors(
        agent_file, agent_file, [p for p in pipeline_processors(agent_file) if p not in WITHOUT_API]
    )
    agent_ports = local_endpoints(agent)
    agent["exporters"]["otlp_grpc/gateway"]["endpoint"] = f"127.0.0.1:{gateway_ports['grpc']}"
    (tmp_path / "gateway").mkdir()
    (tmp_path / "agent").mkdir()

    with (
        collector(otelcol, gateway, tmp_path / "gateway"),
        collector(otelcol, agent, tmp_path / "agent", AGENT_ENV),
    ):
        send(f"http://127.0.0.1:{agent_ports['http']}", cases, {"service.name": "club-app"})
    # Leaving the block stops the agent (it flushes its batch to the gateway), then the gateway.

    spans, logs = read_file_export(out)
    check_scrubbed(cases, spans, logs)
    for record in spans + logs:
        assert record.resource["service.name"] == "club-app"
        assert record.resource["k8s.cluster.name"] == "ci-cluster"
        assert record.resource["deployment.environment.name"] == "ci"


def test_gateway_scrubs_senders_that_bypass_the_agent(otelcol: Path, tmp_path: Path) -> None:
    cases = corpus()
    gateway, ports, out = gateway_to_file(tmp_path)
    with collector(otelcol, gateway, tmp_path):
        send(f"http://127.0.0.1:{ports['http']}", cases, {"service.name": "outside-app"})

    spans, logs = read_file_export(out)
    check_scrubbed(cases, spans, logs)
    assert all("k8s.cluster.name" not in r.resource for r in spans + logs)  # no agent on the way
