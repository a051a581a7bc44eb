"""Policies over the rendered objects of deploy/prod and deploy/staging: what every manifest the
platform's admins commit must respect (resources, security context, pinned images, no secret in
git, network policies that select real pods, the single Vigie replica)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from tests.deploy.rendered import (
    WORKLOADS,
    Obj,
    containers,
    name_of,
    operator_pods,
    pod_specs,
)

from vigie.deploy import collectors
from vigie.settings import Settings

# A full release (at least major.minor.patch, e.g. 25.8.8.26, 3.11.14-slim-bookworm) or a
# digest: `25.8` or `3.11-slim` move under the same name.
_RELEASE = r"[0-9]+\.[0-9]+\.[0-9]+(?:\.[0-9]+)*(?:-[a-z0-9.-]+)?"
PINNED = re.compile(rf"[^:@]+(?::[^:@/]+)?@sha256:[0-9a-f]{{64}}|[^@]+:{_RELEASE}")


def _pinned(image: str) -> bool:
    return bool(PINNED.fullmatch(image))


def _all_containers(objects: list[Obj]) -> list[tuple[str, Obj, Obj]]:
    """(owner, pod-level security context, container) of every container, collectors included:
    the operator copies spec.securityContext, resources and image into its container."""
    found = []
    for obj in objects:
        for pod, _ in pod_specs(obj):
            for container in containers(pod):
                found.append((name_of(obj), pod.get("securityContext", {}), container))
        if obj["kind"] == collectors.KIND:
            spec = obj["spec"]
            container = {"name": "otc-container", "image": spec["image"],
                         "resources": spec.get("resources", {}),
                         "securityContext": spec.get("securityContext", {})}
            found.append((name_of(obj), spec.get("podSecurityContext", {}), container))
    return found


def test_every_container_has_requests_and_limits(objects: list[Obj]) -> None:
    for owner, _, container in _all_containers(objects):
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for what in ("cpu", "memory"):
                assert what in resources.get(kind, {}), (
                    f"{owner} container {container['name']} has no {what} {kind}")


def test_every_container_is_locked_down(objects: list[Obj]) -> None:
    for owner, pod_context, container in _all_containers(objects):
        context: dict[str, Any] = container.get("securityContext", {})
        where = f"{owner} container {container['name']}"
        assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True, where
        assert context.get("runAsUser", pod_context.get("runAsUser", 0)) != 0, where
        assert context.get("readOnlyRootFilesystem") is True, where
        assert context.get("allowPrivilegeEscalation") is False, where
        assert context.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not context.get("capabilities", {}).get("add"), where
        assert not context.get("privileged"), where


def test_images_are_pinned(objects: list[Obj]) -> None:
    for owner, _, container in _all_containers(objects):
        image = container["image"]
        assert _pinned(image) and not image.endswith(":latest"), f"{owner}: {image} is not pinned"


def test_pinned_image_rule_rejects_floating_tags() -> None:
    assert _pinned("clickhouse/clickhouse-server:25.8.8.26")
    assert _pinned("otel/opentelemetry-collector-contrib:0.161.0")
    assert _pinned("ghcr.io/clubcedille/vigie@sha256:" + "a" * 64)
    assert _pinned("python:3.11.14-slim-bookworm")
    for floating in ("vigie", "vigie:latest", "python:3.11-slim", "grafana/grafana:main",
                     "registry:5000/vigie", "clickhouse/clickhouse-server:25.8"):
        assert not _pinned(floating), floating


def test_no_secret_values_in_git(objects: list[Obj]) -> None:
    """Secrets come from Vault: git may hold VaultStaticSecrets, never a Secret with data."""
    for obj in objects:
        if obj["kind"] == "Secret":
            assert not obj.get("data") and not obj.get("stringData"), name_of(obj)
    synced = {o["spec"]["destination"]["name"] for o in objects if o["kind"] == "VaultStaticSecret"}
    referenced = set()
    for obj in objects:
        for pod, _ in pod_specs(obj):
            for container in containers(pod):
                referenced |= _secret_refs(container)
        if obj["kind"] == collectors.KIND:
            referenced |= _secret_refs(obj["spec"])
    assert referenced, "no workload reads a secret: the check below would prove nothing"
    assert referenced <= synced, f"secrets no VaultStaticSecret provides: {referenced - synced}"


def _secret_refs(container: Obj) -> set[str]:
    names = {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", [])
             if "secretKeyRef" in e.get("valueFrom", {})}
    names |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
    return names


def _pods(objects: list[Obj]) -> list[tuple[str, dict[str, str]]]:
    """(owner, labels) of every pod the manifests make, operator-made collector pods included."""
    pods = [(name_of(o), labels) for o in objects for _, labels in pod_specs(o)]
    pods += [(name_of(o), labels) for o in objects if (labels := operator_pods(o)) is not None]
    return pods


def _matches(selector: Obj, labels: dict[str, str]) -> bool:
    if set(selector) - {"matchLabels"}:
        pytest.fail(f"selector {selector}: only matchLabels is checked here")
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_selectors(policy: Obj) -> list[Obj]:
    """Pod selectors of same-namespace peers (no namespaceSelector beside them)."""
    peers = []
    for rule in [*policy["spec"].get("ingress", []), *policy["spec"].get("egress", [])]:
        for peer in [*rule.get("from", []), *rule.get("to", [])]:
            if "podSelector" in peer and "namespaceSelector" not in peer:
                peers.append(peer["podSelector"])
    return peers


def test_every_network_policy_selects_rendered_pods(objects: list[Obj]) -> None:
    pods = _pods(objects)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert policies
    for policy in policies:
        for selector in [policy["spec"]["podSelector"], *_peer_selectors(policy)]:
            assert any(_matches(selector, labels) for _, labels in pods), (
                f"{name_of(policy)}: {selector} matches no pod of {[p for p, _ in pods]}")


def test_default_deny_covers_every_pod_both_ways(objects: list[Obj]) -> None:
    deny = [o for o in objects if o["kind"] == "NetworkPolicy"
            and o["spec"]["podSelector"] == {} and not o["spec"].get("ingress")
            and not o["spec"].get("egress")]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}


def test_clickhouse_is_reached_only_by_its_clients(objects: list[Obj]) -> None:
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"
                and o["spec"]["podSelector"].get("matchLabels", {}).get(
                    "app.kubernetes.io/name") == "clickhouse"]
    sources = {
        str(peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name"))
        for policy in policies for rule in policy["spec"].get("ingress", [])
        for peer in rule["from"]
    }
    assert sources == {"vigie-gateway-collector", "vigie", "vigie-club-access", "grafana"}


def test_vigie_runs_once_with_probes(objects: list[Obj]) -> None:
    (vigie,) = [o for o in objects if o["kind"] == "Deployment"
                and o["metadata"]["name"] == "vigie"]
    assert vigie["spec"]["replicas"] == 1
    assert vigie["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = vigie["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    (init,) = vigie["spec"]["template"]["spec"]["initContainers"]
    assert init["args"] == ["db", "migrate"] and init["image"] == container["image"]


def test_config_map_names_carry_a_content_hash(objects: list[Obj]) -> None:
    """configMapGenerator's suffix: a change to slo/ or alerts/ rolls the Vigie pod."""
    (vigie,) = [o for o in objects if name_of(o) == "Deployment/vigie"]
    volumes = {v["name"]: v for v in vigie["spec"]["template"]["spec"]["volumes"]}
    name = volumes["config"]["configMap"]["name"]
    assert re.fullmatch(r"vigie-config-[a-z0-9]{10}", name), name
    (config_map,) = [o for o in objects if name_of(o) == f"ConfigMap/{name}"]
    items = volumes["config"]["configMap"]["items"]
    assert {i["key"] for i in items} == set(config_map["data"])
    assert "alerts/clubs.yaml" in {i["path"] for i in items}


def test_every_object_is_namespaced_by_its_overlay(objects: list[Obj]) -> None:
    cluster_scoped = {"ClusterRole", "ClusterRoleBinding"}
    namespaces = {o["metadata"].get("namespace") for o in objects
                  if o["kind"] not in cluster_scoped}
    assert len(namespaces) == 1 and namespaces.pop() in ("vigie-prod", "vigie-staging")
    names = [o["metadata"]["name"] for o in objects if o["kind"] in cluster_scoped]
    assert all(re.fullmatch(r"vigie-(prod|staging)-agent", n) for n in names), names


def test_overlays_differ_where_they_must(rendered: dict[str, list[Obj]]) -> None:
    def vault_paths(env: str) -> set[str]:
        return {o["spec"]["path"] for o in rendered[env] if o["kind"] == "VaultStaticSecret"}

    for env in rendered:
        assert all(p.startswith(f"vigie/{env}/") for p in vault_paths(env))
        (auth,) = [o for o in rendered[env] if o["kind"] == "VaultAuth"]
        assert auth["spec"]["kubernetes"]["role"] == f"vigie-{env}"
    dashboards = {env: [o for o in rendered[env] if o["kind"] == "ConfigMap"
                        and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
                  for env in rendered}
    assert dashboards["prod"] and not dashboards["staging"]
    agent = "OpenTelemetryCollector/vigie-agent"
    agents = {env: next(o for o in rendered[env] if name_of(o) == agent) for env in rendered}
    assert all("hostPort" in p for p in agents["prod"]["spec"]["ports"])
    assert not any("hostPort" in p for p in agents["staging"]["spec"]["ports"])


def test_workload_kinds_are_known(objects: list[Obj]) -> None:
    """Guard for the helpers above: a new kind of workload must be taught to pod_specs."""
    kinds = {o["kind"] for o in objects}
    assert kinds & set(WORKLOADS) == {"Deployment", "StatefulSet", "Job"}


def test_the_ingress_publishes_pages_and_api_only(objects: list[Obj]) -> None:
    """The OTLP receiver (/v1/...) has no token: it must not be reachable from outside."""
    (ingress,) = [o for o in objects if o["kind"] == "Ingress"]
    paths = {p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert "/api/" in paths and "/" in paths
    assert not any(p.startswith("/v1") or (p == "/" and kind != "Exact")
                   for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
                   for p, kind in [(path["path"], path["pathType"])])
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert ingress["spec"]["ingressClassName"] == "contour"
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]


def _broken(objects: list[Obj], kind: str, name: str) -> tuple[list[Obj], Obj]:
    copied: list[Obj] = copy.deepcopy(objects)
    target = next(o for o in copied if name_of(o) == f"{kind}/{name}")
    return copied, target


def test_the_policies_reject_what_they_must(rendered: dict[str, list[Obj]]) -> None:
    """Each policy above, on one broken copy of the production objects, fails."""
    prod = rendered["prod"]
    objects, clickhouse = _broken(prod, "StatefulSet", "clickhouse")
    del clickhouse["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    with pytest.raises(AssertionError, match="memory limits"):
        test_every_container_has_requests_and_limits(objects)

    objects, gateway = _broken(prod, collectors.KIND, collectors.GATEWAY)
    gateway["spec"]["securityContext"]["readOnlyRootFilesystem"] = False
    with pytest.raises(AssertionError, match="vigie-gateway"):
        test_every_container_is_locked_down(objects)

    objects, vigie = _broken(prod, "Deployment", "vigie")
    vigie["spec"]["template"]["spec"]["initContainers"][0]["image"] = "vigie:latest"
    with pytest.raises(AssertionError, match="not pinned"):
        test_images_are_pinned(objects)

    objects = [*copy.deepcopy(prod), {"apiVersion": "v1", "kind": "Secret",
                                      "metadata": {"name": "leak"}, "data": {"k": "dg=="}}]
    with pytest.raises(AssertionError, match="Secret/leak"):
        test_no_secret_values_in_git(objects)

    objects, policy = _broken(prod, "NetworkPolicy", "vigie-gateway")
    policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] = {
        "app.kubernetes.io/name": "vigie-agent"}  # the resource's name, not its pods' label
    with pytest.raises(AssertionError, match="matches no pod"):
        test_every_network_policy_selects_rendered_pods(objects)


def test_staging_agent_says_staging(rendered: dict[str, list[Obj]]) -> None:
    for env, wanted in (("prod", "production"), ("staging", "staging")):
        agent = next(o for o in rendered[env]
                     if name_of(o) == f"{collectors.KIND}/{collectors.AGENT}")
        values = {e["name"]: e.get("value") for e in agent["spec"]["env"]}
        assert values["DEPLOYMENT_ENVIRONMENT"] == wanted


def test_the_operator_adds_no_network_policy_of_its_own(objects: list[Obj]) -> None:
    """Policies add up: an operator-made one would open the receivers to every pod."""
    for obj in objects:
        if obj["kind"] == collectors.KIND:
            assert obj["spec"]["networkPolicy"] == {"enabled": False}, name_of(obj)
            labels = operator_pods(obj)
            assert labels is not None
            assert labels["app.kubernetes.io/name"] == f"{obj['metadata']['name']}-collector"


# Receivers that only listen. Any other (httpcheck, kubeletstats, k8s_cluster, prometheus…)
# reaches out, and the default deny blocks it: open its egress in network-policies.yaml, then
# list it here with what it reaches.
LISTENING_RECEIVERS = {"otlp"}
REVIEWED_OUTBOUND_RECEIVERS: dict[str, str] = {}


def test_a_receiver_that_reaches_out_has_its_egress_reviewed(objects: list[Obj]) -> None:
    for obj in objects:
        if obj["kind"] != collectors.KIND:
            continue
        kinds = {name.split("/")[0] for name in obj["spec"]["config"]["receivers"]}
        unreviewed = kinds - LISTENING_RECEIVERS - set(REVIEWED_OUTBOUND_RECEIVERS)
        assert not unreviewed, (
            f"{name_of(obj)} runs {unreviewed}: allow its egress in deploy/base/"
            "network-policies.yaml and list it in REVIEWED_OUTBOUND_RECEIVERS")


def test_vigie_containers_get_only_settings_vigie_knows(objects: list[Obj]) -> None:
    """A misspelt VIGIE_* variable would be ignored silently (extra="ignore")."""
    known = {f"VIGIE_{name.upper()}" for name in Settings.model_fields}
    for obj in objects:
        for pod, _ in pod_specs(obj):
            for container in containers(pod):
                if "/vigie:" not in container["image"]:
                    continue
                given = {e["name"] for e in container.get("env", [])
                         if e["name"].startswith("VIGIE_")}
                assert given and given <= known, f"{name_of(obj)}: {given - known}"
