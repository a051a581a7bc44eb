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

from tests.collector import fake_kube
from tests.collector.app import check_scrubbed, corpus, send
from tests.collector.otelcol import collector, load, local_endpoints, read_file_export

AGENT_ENV = {
    "K8S_NODE_NAME": fake_kube.NODE,
    "K8S_CLUSTER_NAME": "ci-cluster",
    "DEPLOYMENT_ENVIRONMENT": "ci",
}
# What the agent adds to every resource: from the (fake) Kubernetes API, then from its env.
AGENT_ADDS = {
    "k8s.namespace.name": fake_kube.NAMESPACE,
    "k8s.pod.name": fake_kube.POD,
    "k8s.pod.uid": fake_kube.POD_UID,
    "k8s.deployment.name": fake_kube.DEPLOYMENT,
    "k8s.node.name": fake_kube.NODE,
    "club": fake_kube.CLUB,
    "k8s.cluster.name": "ci-cluster",
    "deployment.environment.name": "ci",
}


def agent_against_fake_api() -> dict[str, Any]:
    """agent.yaml's processors as committed, except how k8s_attributes reaches the API: a
    kubeconfig (the fake server) instead of the pod's service account, and waiting for the
    first LIST so that the first spans are already labelled."""
    agent = copy.deepcopy(load("agent.yaml"))
    k8s = agent["processors"]["k8s_attributes"]
    k8s["auth_type"] = "kubeConfig"
    k8s["wait_for_metadata"] = True
    return agent


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
    agent = agent_against_fake_api()
    agent_ports = local_endpoints(agent)
    agent["exporters"]["otlp_grpc/gateway"]["endpoint"] = f"127.0.0.1:{gateway_ports['grpc']}"
    (tmp_path / "gateway").mkdir()
    (tmp_path / "agent").mkdir()

    with (
        fake_kube.fake_kube_api(tmp_path) as kube_env,
        collector(otelcol, gateway, tmp_path / "gateway"),
        collector(otelcol, agent, tmp_path / "agent", {**AGENT_ENV, **kube_env}),
    ):
        send(f"http://127.0.0.1:{agent_ports['http']}", cases, {"service.name": "club-app"})
    # Leaving the block stops the agent (it flushes its batch to the gateway), then the gateway.

    spans, logs = read_file_export(out)
    check_scrubbed(cases, spans, logs)
    for record in spans + logs:
        assert record.resource["service.name"] == "club-app"
        assert {k: record.resource.get(k) for k in AGENT_ADDS} == AGENT_ADDS


def test_gateway_scrubs_senders_that_bypass_the_agent(otelcol: Path, tmp_path: Path) -> None:
    cases = corpus()
    gateway, ports, out = gateway_to_file(tmp_path)
    with collector(otelcol, gateway, tmp_path):
        send(f"http://127.0.0.1:{ports['http']}", cases, {"service.name": "outside-app"})

    spans, logs = read_file_export(out)
    check_scrubbed(cases, spans, logs)
    assert not any(k in r.resource for r in spans + logs for k in AGENT_ADDS)  # no agent passed
