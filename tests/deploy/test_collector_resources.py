"""The collector resources as the operator would run them: the real collector validates each
rendered resource's config in exactly the environment the resource gives it (plain values as
written, values from Secrets and the Downward API as placeholders). A variable a config needs
and the resource forgets fails here, not on the cluster."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from tests.collector.conftest import otelcol  # noqa: F401  (the built-collector fixture)
from tests.deploy.rendered import Obj, name_of

from vigie.deploy import collectors

PLACEHOLDER = "from-a-secret-or-the-downward-api"


def _environment(spec: Obj) -> dict[str, str]:
    """What the container's environment holds: env entries (envFrom Secrets are Vault's)."""
    return {e["name"]: e.get("value", PLACEHOLDER) for e in spec.get("env", [])}


def _validate(binary: Path, resource: Obj, tmp_path: Path,
              env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"{resource['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(resource["spec"]["config"], sort_keys=False))
    return subprocess.run([str(binary), "validate", "--config", str(path)], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", **env},
                          check=False)


def _collectors(objects: list[Obj]) -> list[Obj]:
    found = [o for o in objects if o["kind"] == collectors.KIND]
    assert {o["metadata"]["name"] for o in found} == {collectors.AGENT, collectors.GATEWAY}
    return found


def test_each_resource_config_validates_in_its_environment(
    otelcol: Path, objects: list[Obj], tmp_path: Path  # noqa: F811
) -> None:
    for resource in _collectors(objects):
        done = _validate(otelcol, resource, tmp_path, _environment(resource["spec"]))
        assert done.returncode == 0, f"{name_of(resource)}: {done.stderr}"


def test_the_agent_without_its_node_name_is_refused(
    otelcol: Path, objects: list[Obj], tmp_path: Path  # noqa: F811
) -> None:
    (agent,) = [o for o in _collectors(objects) if o["metadata"]["name"] == collectors.AGENT]
    env = _environment(agent["spec"])
    del env["K8S_NODE_NAME"]
    done = _validate(otelcol, agent, tmp_path, env)
    assert done.returncode != 0 and "K8S_NODE_NAME" in done.stderr


def test_the_gateway_writes_to_the_clickhouse_service(objects: list[Obj]) -> None:
    (gateway,) = [o for o in _collectors(objects) if o["metadata"]["name"] == collectors.GATEWAY]
    endpoint = urlsplit(_environment(gateway["spec"])["CLICKHOUSE_ENDPOINT"])
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    assert endpoint.hostname is not None
    assert endpoint.port in {p["port"] for p in services[endpoint.hostname]["spec"]["ports"]}
