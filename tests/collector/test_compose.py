"""docker-compose.yml, checked without a Docker engine: what it mounts exists, images are pinned,
ports agree with the collector config and the service, the service gets only environment
variables Vigie knows, secrets come from .env only, start order runs the migration first."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from tests.collector.otelcol import REPO, load

from vigie.settings import Settings

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
COLLECTOR_RELEASE = "0.161.0"
VIGIE_SERVICES = ("vigie", "vigie-migrate")
# The contrib image has no shell or HTTP client: Docker cannot probe it from inside.
NO_HEALTHCHECK = {"otel-collector", "vigie-migrate"}


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services() -> dict[str, Any]:
    result: dict[str, Any] = compose()["services"]
    return result


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def bind_mounts() -> list[tuple[str, str]]:
    return [
        (name, volume.split(":", 1)[0])
        for name, service in services().items()
        for volume in service.get("volumes", [])
        if volume.startswith(".")
    ]


def published(service: dict[str, Any]) -> dict[int, int]:
    """container port -> host port of `127.0.0.1:host:container` entries."""
    ports = {}
    for entry in service.get("ports", []):
        host_ip, host, container = entry.split(":")
        assert host_ip == "127.0.0.1", entry  # nothing listens beyond this machine
        ports[int(container)] = int(host)
    return ports


def port_of(endpoint: str) -> int:
    return int(endpoint.rstrip("/").rsplit(":", 1)[1])


@pytest.mark.parametrize(("service", "source"), bind_mounts())
def test_mounted_files_exist(service: str, source: str) -> None:
    assert (REPO / source).exists(), f"{service} mounts {source}, which does not exist"


def test_images_are_pinned_and_the_collector_is_the_manifest_release() -> None:
    for name, service in services().items():
        if "build" in service:
            assert (REPO / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
            continue
        tag = service["image"].partition(":")[2]
        assert re.fullmatch(r"[0-9]+(\.[0-9]+)+", tag), f"{name}: {service['image']} is not pinned"
    assert services()["otel-collector"]["image"] == (
        f"otel/opentelemetry-collector-contrib:{COLLECTOR_RELEASE}"
    )
    manifest = yaml.safe_load((REPO / "collector_config/builder-config.yaml").read_text())
    assert manifest["dist"]["version"].startswith(COLLECTOR_RELEASE)
    plugin = services()["grafana"]["environment"]["GF_PLUGINS_PREINSTALL_SYNC"]
    assert re.fullmatch(r"grafana-clickhouse-datasource@[0-9]+\.[0-9]+\.[0-9]+", plugin)


def test_collector_ports_and_clickhouse_address_match_local_yaml() -> None:
    collector = services()["otel-collector"]
    config = load("local.yaml")
    protocols = config["receivers"]["otlp"]["protocols"]
    wanted = {
        port_of(protocols["grpc"]["endpoint"]),
        port_of(protocols["http"]["endpoint"]),
        port_of(config["extensions"]["health_check"]["endpoint"]),
    }
    assert set(published(collector)) == wanted == {4317, 4318, 13133}
    assert "/etc/otelcol-contrib/config.yaml" in " ".join(collector["command"])
    assert (
        "./collector_config/local.yaml:/etc/otelcol-contrib/config.yaml:ro" in collector["volumes"]
    )
    endpoint = collector["environment"]["CLICKHOUSE_ENDPOINT"]
    host, port = endpoint.removeprefix("tcp://").split(":")
    assert host in services() and port == "9000"  # ClickHouse's native port
    queue_dir = collector["environment"]["FILE_STORAGE_DIR"]
    assert any(v.endswith(f":{queue_dir}") for v in collector["volumes"])


def test_collector_gets_every_variable_local_yaml_needs() -> None:
    text = (REPO / "collector_config/local.yaml").read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{env:([A-Z0-9_]+)", text))
    assert needed <= set(services()["otel-collector"]["environment"])


def test_vigie_listens_where_it_is_published_and_probed() -> None:
    vigie = services()["vigie"]
    port = int(vigie["command"][vigie["command"].index("--port") + 1])
    assert published(vigie) == {port: port}
    assert f"127.0.0.1:{port}/healthz" in " ".join(vigie["healthcheck"]["test"])
    dsn = vigie["environment"]["VIGIE_CLICKHOUSE_DSN"]
    assert dsn.startswith("http://") and dsn.endswith("@clickhouse:8123")


def webhook_variables() -> set[str]:
    """The environment variables alerts/clubs.yaml names for its secrets ({env: NAME})."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                names.add(node["env"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((REPO / "alerts/clubs.yaml").read_text(encoding="utf-8")))
    return names


def known_variables() -> set[str]:
    """VIGIE_<setting> for every setting, and the secrets alerts/clubs.yaml names."""
    return {f"VIGIE_{field.upper()}" for field in Settings.model_fields} | webhook_variables()


def test_env_example_lists_every_webhook_secret() -> None:
    assert webhook_variables() <= set(env_example())


@pytest.mark.parametrize("name", VIGIE_SERVICES)
def test_vigie_gets_only_variables_vigie_knows(name: str) -> None:
    service = services()[name]
    given = set(service["environment"]) | {key for key in env_example() if key.startswith("VIGIE_")}
    assert service["env_file"] == [".env"]
    unknown = {v for v in given if v.startswith("VIGIE_")} - known_variables()
    assert not unknown, f"{name}: unknown to Vigie: {sorted(unknown)}"
    assert service["environment"]["VIGIE_CLICKHOUSE_DATABASE"] == "${CLICKHOUSE_DB:-otel}"


def test_every_interpolated_variable_is_in_env_example_without_a_secret() -> None:
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    example = env_example()
    assert interpolated <= set(example)
    for key, value in example.items():
        if "PASSWORD" in key:
            assert value == "change-me", key
        if key.startswith("VIGIE_DISCORD_"):
            assert value == "", key  # webhook URLs are secrets
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env"], cwd=REPO, capture_output=True, check=False
    )
    assert tracked.returncode != 0, ".env must never be committed"


def test_migration_runs_once_before_the_service_and_the_collector() -> None:
    migrate = services()["vigie-migrate"]
    assert migrate["command"] == ["db", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    for name in ("vigie", "otel-collector"):
        depends = services()[name]["depends_on"]
        assert depends["vigie-migrate"]["condition"] == "service_completed_successfully"


def test_long_running_services_have_health_checks_and_named_volumes() -> None:
    declared = set(compose()["volumes"])
    for name, service in services().items():
        if name not in NO_HEALTHCHECK:
            assert service["healthcheck"]["test"], name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith("."):
                assert source in declared, (name, source)


def test_grafana_mounts_dashboards_and_provisioning() -> None:
    volumes = services()["grafana"]["volumes"]
    assert "./dashboards/provisioning:/etc/grafana/provisioning:ro" in volumes
    assert "./dashboards:/var/lib/grafana/dashboards:ro" in volumes


def test_grafana_gets_what_its_provisioning_reads() -> None:
    grafana = services()["grafana"]
    provisioning = REPO / "dashboards" / "provisioning"
    if not provisioning.is_dir():
        pytest.skip(
            "dashboards/provisioning is written by the dashboards work (not in the tree yet)"
        )
    files = sorted(provisioning.rglob("*.yaml"))
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    # Grafana expands $VAR / ${VAR} in provisioning files from its own environment.
    wanted = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text))
    assert wanted <= set(grafana["environment"]), sorted(wanted - set(grafana["environment"]))
    mounted = {
        volume.split(":")[1] for volume in grafana["volumes"] if volume.startswith("./dashboards:")
    }
    paths = {
        provider["options"]["path"]
        for f in files
        for provider in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("providers", [])
    }
    assert paths and paths <= mounted
