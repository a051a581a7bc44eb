"""deploy/base/generated/ and deploy/base/grafana/ are what `vigie deploy build` makes of the
repository's sources: one source of truth for the collectors, the config and the dashboards."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml
from tests.deploy.rendered import REPO
from tests.deploy.rendered import build as build_overlay
from typer.testing import CliRunner

from vigie.cli import app
from vigie.deploy import build, collectors, grafana

SOURCES = ("collector_config", "slo", "alerts", "dashboards", "deploy", "docker-compose.yml")


def _copy(tmp_path: Path) -> Path:
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("_build"))
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_committed_files_are_current() -> None:
    assert build.drift(REPO) == []


def test_a_changed_collector_config_is_drift_until_rebuilt(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    gateway = repo / "collector_config/gateway.yaml"
    gateway.write_text(gateway.read_text().replace("timeout: 10s", "timeout: 20s", 1))
    assert build.drift(repo) == [f"{build.GENERATED_DIR}/collectors.yaml: differs from its sources"]

    result = CliRunner().invoke(app, ["deploy", "build", "--check", "--repo", str(repo)])
    assert result.exit_code == 1 and "collectors.yaml" in result.output

    result = CliRunner().invoke(app, ["deploy", "build", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert build.drift(repo) == []
    (_, rendered_gateway, _) = yaml.safe_load_all(
        (repo / build.GENERATED_DIR / "collectors.yaml").read_text())
    queue = rendered_gateway["spec"]["config"]["extensions"]["file_storage/queue"]
    assert queue["timeout"] == "20s"


def test_new_and_removed_sources_follow(tmp_path: Path) -> None:
    """A dashboard or SLO file the generators add is shipped; one they drop is removed."""
    repo = _copy(tmp_path)
    (repo / "dashboards/newclub").mkdir()
    (repo / "dashboards/newclub/app.json").write_text('{"uid": "x"}\n')
    (repo / "slo/sonia/portail.yaml").rename(repo / "slo/sonia/portail2.yaml")
    changed, removed = build.write(repo)
    assert f"{build.GRAFANA_DIR}/dashboards.yaml" in changed
    assert removed == [f"{build.GENERATED_DIR}/config/slo/sonia/portail.yaml"]
    maps = list(yaml.safe_load_all((repo / build.GRAFANA_DIR / "dashboards.yaml").read_text()))
    new = [m for m in maps if m["metadata"]["name"] == "vigie-dashboard-newclub-app"]
    assert new and new[0]["metadata"]["annotations"][grafana.FOLDER_ANNOTATION] == "newclub"


def test_collector_resources_carry_the_config_files_unchanged() -> None:
    docs = list(yaml.safe_load_all((REPO / build.GENERATED_DIR / "collectors.yaml").read_text()))
    by_name = {d["metadata"]["name"]: d for d in docs if d["kind"] == collectors.KIND}
    for name, source in ((collectors.AGENT, "agent.yaml"), (collectors.GATEWAY, "gateway.yaml")):
        wanted = yaml.safe_load((REPO / "collector_config" / source).read_text())
        assert by_name[name]["spec"]["config"] == wanted
        assert by_name[name]["spec"]["image"] == build.collector_image(REPO)


def test_every_variable_a_collector_config_needs_is_provided() -> None:
    """A ${env:X} without a default must be set by the resource, or come from the collectors'
    Vault secret (then docs/deploy.md names it, so that the admin puts it in Vault)."""
    docs = list(yaml.safe_load_all((REPO / build.GENERATED_DIR / "collectors.yaml").read_text()))
    guide = (REPO / "docs/deploy.md").read_text()
    for doc in docs:
        if doc["kind"] != collectors.KIND:
            continue
        set_here = {e["name"] for e in doc["spec"].get("env", [])}
        for name, has_default in collectors.env_references(doc["spec"]["config"]).items():
            if not has_default and name not in set_here:
                assert f"`{name}`" in guide, f"{doc['metadata']['name']} needs {name}"
        # Read as ${env:X}, or named by a component (k8s_attributes' node_from_env_var).
        config_text = json.dumps(doc["spec"]["config"])
        unread = {name for name in set_here if f'"{name}"' not in config_text
                  and name not in collectors.env_references(doc["spec"]["config"])}
        assert not unread, f"{doc['metadata']['name']} sets variables nothing reads: {unread}"


def test_env_references_reads_defaults_and_skips_escapes() -> None:
    config = {"a": ["${env:ONE}", "x ${env:TWO:-2} y"], "b": {"c": "$${env:ESCAPED} ${THREE}"}}
    assert collectors.env_references(config) == {"ONE": False, "TWO": True, "THREE": False}


def test_grafana_gets_every_dashboard_and_datasource_file() -> None:
    shipped = list(yaml.safe_load_all((REPO / build.GRAFANA_DIR / "dashboards.yaml").read_text()))
    dashboards = {key: text for m in shipped if grafana.DASHBOARD_LABEL in m["metadata"]["labels"]
                  for key, text in m["data"].items()}
    json_files = sorted((REPO / "dashboards").glob("*/*.json"))
    assert len(dashboards) == len(json_files)
    for path in json_files:
        assert path.read_text() in dashboards.values(), path
    (sources,) = [m for m in shipped if grafana.DATASOURCE_LABEL in m["metadata"]["labels"]]
    on_disk = sorted(p.name for p in (REPO / "dashboards/provisioning/datasources").iterdir())
    assert sorted(sources["data"]) == on_disk


def test_docs_name_every_variable_the_shipped_datasources_read() -> None:
    """The platform's Grafana must have them in its environment: docs/deploy.md lists them,
    a club's password by its pattern (CLICKHOUSE_PASSWORD_<CLUB>)."""
    shipped = list(yaml.safe_load_all((REPO / build.GRAFANA_DIR / "dashboards.yaml").read_text()))
    (sources,) = [m for m in shipped if grafana.DATASOURCE_LABEL in m["metadata"]["labels"]]
    variables = {name for text in sources["data"].values()
                 for name in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text)}
    assert "CLICKHOUSE_PASSWORD" in variables
    clubs = yaml.safe_load((REPO / "alerts/clubs.yaml").read_text())["clubs"]
    suffixes = {club["id"].upper().replace("-", "_") for club in clubs}
    guide = (REPO / "docs/deploy.md").read_text()
    for name in variables:
        head, _, suffix = name.rpartition("_")
        documented = f"{head}_<CLUB>" if suffix in suffixes and head else name
        assert f"`{documented}`" in guide, name


def test_a_changed_slo_file_renames_the_config_map_and_so_rolls_the_pod(
    tmp_path: Path, kustomize: Path
) -> None:
    repo = _copy(tmp_path)

    def config_map_of_vigie() -> str:
        (deployment,) = [o for o in build_overlay(kustomize, repo / "deploy/prod")
                         if o["kind"] == "Deployment" and o["metadata"]["name"] == "vigie"]
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        name: str = next(v for v in volumes if v["name"] == "config")["configMap"]["name"]
        return name

    before = config_map_of_vigie()
    slo = repo / "slo/sonia/portail.yaml"
    slo.write_text(slo.read_text() + "\n# a reviewed change\n")
    build.write(repo)
    after = config_map_of_vigie()
    assert before != after and after.startswith("vigie-config-")
