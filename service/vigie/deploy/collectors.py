"""The agent and gateway as ``OpenTelemetryCollector`` resources of the OpenTelemetry operator.

Pure: the parsed ``collector_config/agent.yaml`` and ``gateway.yaml`` in, manifests out. The
config files stay the one source of truth (CI validates them with the built collector); this
module only wraps them with what Kubernetes adds: the image (the one docker-compose.yml runs),
the environment the configs read (``${env:…}``), ports, volumes, resources, security context.

Names: the operator calls a collector's Service, Deployment and DaemonSet ``<name>-collector`` and
labels its pods ``app.kubernetes.io/name: <name>-collector`` (:func:`pod_labels`); the
NetworkPolicies select that label. The operator's own NetworkPolicies are off
(``networkPolicy.enabled: false``): they would open the receivers' ports to every pod, and
policies only add up.

Sizes, from ``bench/collector.py`` (the built collector on this 2-core machine): the gateway's
processors cost about 100 µs of CPU per span (``transform/pii``: 20x a bare pipeline) and the
process peaked under 100 MiB at 2,400 spans/s. So one core scrubs about 10,000 spans/s: the
gateway's limit (1 core) is the cluster's whole traffic with room, each agent's (0.5 core) its
node's. Memory limits leave room for batches and spikes; ``memory_limiter`` refuses data at 80 %
of them, so a limit is a ceiling the collector defends, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

API_VERSION = "opentelemetry.io/v1beta1"
KIND = "OpenTelemetryCollector"
AGENT = "vigie-agent"
GATEWAY = "vigie-gateway"
AGENT_SERVICE_ACCOUNT = "vigie-agent"
GATEWAY_QUEUE_CLAIM = "vigie-gateway-queue"
QUEUE_DIR = "/var/lib/otelcol/file_storage"
CLICKHOUSE_SECRET = "vigie-clickhouse"
"""Synced from Vault: one key per ClickHouse user (vigie, collectors, grafana, access)."""
COLLECTOR_SECRET = "vigie-collectors"
"""Synced from Vault: environment of both collectors (ingest tokens), one key per variable."""
RUN_AS = 10001  # the contrib image's own user

_ENV_REF = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")


def service_name(collector: str) -> str:
    """The Service the operator creates for a collector (``<name>-collector``)."""
    return f"{collector}-collector"


def pod_labels(collector: str, labels: dict[str, str]) -> dict[str, str]:
    """Labels the operator puts on a collector's pods (what NetworkPolicies can select): the
    resource's own labels, overwritten by its selector labels, and ``app.kubernetes.io/name:
    <name>-collector`` unless the resource sets that label (operator v0.158,
    internal/manifests/manifestutils/labels.go)."""
    result = {
        **labels,
        "app.kubernetes.io/managed-by": "opentelemetry-operator",
        "app.kubernetes.io/part-of": "opentelemetry",
        "app.kubernetes.io/component": "opentelemetry-collector",
    }
    result.setdefault("app.kubernetes.io/name", service_name(collector))
    return result


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def env_references(config: Any) -> dict[str, bool]:
    """Every ``${env:NAME}`` the config reads: name → whether every use has a ``:-default``."""
    found: dict[str, bool] = {}
    for text in _strings(config):
        for match in _ENV_REF.finditer(text.replace("$$", "")):
            name = match.group(1)
            found[name] = found.get(name, True) and match.group(2) is not None
    return found


def _security() -> dict[str, Any]:
    return {
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
        },
    }


def _resources(cpu: tuple[str, str], memory: tuple[str, str]) -> dict[str, Any]:
    return {
        "requests": {"cpu": cpu[0], "memory": memory[0]},
        "limits": {"cpu": cpu[1], "memory": memory[1]},
    }


def _metadata(name: str, component: str) -> dict[str, Any]:
    return {"name": name, "labels": {"app.kubernetes.io/component": component}}


def agent(config: dict[str, Any], image: str) -> dict[str, Any]:
    """One agent per node. Apps on the node reach it at the node's IP (``hostPort``), so that
    ``k8s_attributes`` (which watches only this node's pods) finds the sender; Pixie's export and
    in-cluster senders may use the ``vigie-agent-collector`` Service instead."""
    otlp_ports = [
        {"name": "otlp-grpc", "port": 4317, "protocol": "TCP", "hostPort": 4317},
        {"name": "otlp-http", "port": 4318, "protocol": "TCP", "hostPort": 4318},
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": _metadata(AGENT, "agent"),
        "spec": {
            "mode": "daemonset",
            "image": image,
            "serviceAccount": AGENT_SERVICE_ACCOUNT,
            "env": [
                {"name": "K8S_NODE_NAME",
                 "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {"name": "K8S_CLUSTER_NAME", "value": "cedille"},
                {"name": "DEPLOYMENT_ENVIRONMENT", "value": "production"},
                {"name": "VIGIE_GATEWAY_ENDPOINT", "value": f"{service_name(GATEWAY)}:4317"},
            ],
            "envFrom": [{"secretRef": {"name": COLLECTOR_SECRET}}],
            "ports": otlp_ports,
            "resources": _resources(("100m", "500m"), ("128Mi", "256Mi")),
            "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
            **_security(),
            "networkPolicy": {"enabled": False},
            "config": config,
        },
    }


def gateway(config: dict[str, Any], image: str) -> dict[str, Any]:
    """The only writer to ClickHouse: one replica, its sending queue on a volume (``Recreate``,
    so that the old pod releases the ReadWriteOnce claim before the new one mounts it)."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": _metadata(GATEWAY, "gateway"),
        "spec": {
            "mode": "deployment",
            "replicas": 1,
            "deploymentUpdateStrategy": {"type": "Recreate"},
            "image": image,
            "env": [
                {"name": "CLICKHOUSE_ENDPOINT", "value": "tcp://clickhouse:9000"},
                {"name": "CLICKHOUSE_DATABASE", "value": "otel"},
                {"name": "CLICKHOUSE_USER", "value": "collectors"},
                {"name": "CLICKHOUSE_PASSWORD", "valueFrom": {
                    "secretKeyRef": {"name": CLICKHOUSE_SECRET, "key": "collectors"}}},
                {"name": "FILE_STORAGE_DIR", "value": QUEUE_DIR},
            ],
            "envFrom": [{"secretRef": {"name": COLLECTOR_SECRET}}],
            "volumes": [{"name": "queue",
                         "persistentVolumeClaim": {"claimName": GATEWAY_QUEUE_CLAIM}}],
            "volumeMounts": [{"name": "queue", "mountPath": QUEUE_DIR}],
            "resources": _resources(("250m", "1"), ("256Mi", "1Gi")),
            **_security(),
            "networkPolicy": {"enabled": False},
            "config": config,
        },
    }


def queue_claim() -> dict[str, Any]:
    """The gateway's disk-backed sending queue (a ClickHouse outage waits here)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(GATEWAY_QUEUE_CLAIM, "gateway"),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
        },
    }


def manifests(agent_config: dict[str, Any], gateway_config: dict[str, Any],
              image: str) -> list[dict[str, Any]]:
    return [agent(agent_config, image), gateway(gateway_config, image), queue_claim()]
