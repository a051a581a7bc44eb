"""The generated files: deterministic, committed, shaped as Grafana and the plugin expect, every
query proved; the drift check and ``vigie dashboards build``."""

from __future__ import annotations

import json
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest
import typer
import yaml
from tests.dashboards import test_admin_panels, test_app_panels, test_captain_panels
from typer.testing import CliRunner

from vigie.cli import dashboards as dashboards_cli
from vigie.config import load_config
from vigie.dashboards import access, drift_problems, render, write
from vigie.dashboards.app import dashboard_uid
from vigie.dashboards.build import dashboards
from vigie.dashboards.model import DATASOURCE, SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]
PROVED = test_app_panels.PROVES + test_admin_panels.PROVES + test_captain_panels.PROVES


@pytest.fixture()
def config_dir(tmp_path: Path) -> Path:
    for name in ("slo", "alerts"):
        shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


def test_committed_dashboards_are_what_the_config_generates() -> None:
    assert (REPO / "dashboards").is_dir()
    assert drift_problems(REPO) == []


def test_render_is_deterministic_and_sorted() -> None:
    config = load_config(REPO)
    first, second = render(config), render(config)
    assert first == second
    for path, text in first.items():
        if path.endswith(".json"):
            assert text == json.dumps(json.loads(text), indent=2, sort_keys=True,
                                      ensure_ascii=False) + "\n"
    apps = {(f.club, f.app) for f in config.slo_files}
    assert {p for p in first if p.endswith(".json")} == (
        {f"{club}/{app}.json" for club, app in apps} | {"admin/overview.json",
                                                         "admin/pipeline.json"})


def test_every_shipped_query_is_proved_on_the_engine() -> None:
    for built in dashboards(load_config(REPO)):
        assert len(built.json["panels"]) == len(built.panels)
        for panel_json, panel in zip(built.json["panels"], built.panels, strict=True):
            if panel.sql is None:
                assert "targets" not in panel_json
                continue
            assert panel_json["targets"][0]["rawSql"] == panel.sql
            assert any(fnmatch(panel.key, pattern) for pattern in PROVED), (built.path, panel.key)
        for variable in built.json["templating"]["list"]:
            assert f"var:{variable['name']}" in PROVED
        for annotation in built.json["annotations"]["list"]:
            if "target" in annotation:
                assert f"annotation:{annotation['target']['refId']}" in PROVED


def test_dashboards_follow_the_grafana_and_plugin_models() -> None:
    uids = set()
    for built in dashboards(load_config(REPO)):
        data = built.json
        assert data["schemaVersion"] == SCHEMA_VERSION == 42
        assert data["uid"] not in uids and len(data["uid"]) <= 40
        uids.add(data["uid"])
        ids = [p["id"] for p in data["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        club = built.path.split("/")[0]
        source = DATASOURCE if club == "admin" else {**DATASOURCE,
                                                     "uid": access.datasource_uid(club)}
        cells: set[tuple[int, int]] = set()
        for panel in data["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24
            area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                    for y in range(pos["y"], pos["y"] + pos["h"])}
            assert not area & cells, (built.path, panel["title"])
            cells |= area
            for target in panel.get("targets", []):
                assert target["datasource"] == source == panel["datasource"]
                assert target["editorType"] == "sql"
                assert target["format"] in (0, 1, 2)
                assert target["queryType"] in ("timeseries", "table", "logs", "traces")
                assert "--" not in target["rawSql"] and "/*" not in target["rawSql"]
        for variable in data["templating"]["list"]:
            assert variable["datasource"] == source
            assert variable["query"]["rawSql"] == variable["definition"]


def test_uids_are_stable_and_fit() -> None:
    assert dashboard_uid("algoets", "site-web") == "vigie-algoets-site-web"
    long = dashboard_uid("a-very-long-club-name", "an-even-longer-application-name")
    assert len(long) <= 40 and long == dashboard_uid("a-very-long-club-name",
                                                     "an-even-longer-application-name")
    assert long != dashboard_uid("a-very-long-club-name", "an-even-longer-application-nam")


def test_provisioning_files() -> None:
    files = render(load_config(REPO))
    source = yaml.safe_load(files["provisioning/datasources/vigie-clickhouse.yaml"])
    ds = source["datasources"][0]  # the admins' (the clubs' ones: test_access.py)
    assert (ds["type"], ds["uid"]) == (DATASOURCE["type"], DATASOURCE["uid"])
    data = ds["jsonData"]
    assert data["host"] == "$CLICKHOUSE_HOST" and data["port"] == "$CLICKHOUSE_PORT"
    assert data["defaultDatabase"] == "$CLICKHOUSE_DB" and "database" not in data
    assert ds["secureJsonData"] == {"password": "$CLICKHOUSE_PASSWORD"}
    assert data["traces"]["defaultTable"] == "otel_traces" and data["traces"]["otelEnabled"]
    assert data["logs"]["defaultTable"] == "otel_logs" and data["logs"]["otelVersion"] == "1.30.0"
    (provider,) = yaml.safe_load(files["provisioning/dashboards/vigie.yaml"])["providers"]
    assert provider["options"]["foldersFromFilesStructure"] is True
    assert "folder" not in provider and "folderUid" not in provider
    # docker-compose gives Grafana exactly these variables and mounts.
    grafana = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["grafana"]
    for name in ("CLICKHOUSE_HOST", "CLICKHOUSE_PORT", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD",
                 "CLICKHOUSE_DB"):
        assert name in grafana["environment"]
    assert f"./dashboards:{provider['options']['path']}:ro" in grafana["volumes"]


def test_one_dashboard_for_an_app_described_per_environment(config_dir: Path) -> None:
    site = config_dir / "slo/algoets/site-web.yaml"
    text = site.read_text()
    site.rename(config_dir / "slo/algoets/site-web.prod.yaml")
    (config_dir / "slo/algoets/site-web.staging.yaml").write_text(
        text.replace("environment: prod", "environment: staging"))
    config = load_config(config_dir)
    (built,) = [b for b in dashboards(config) if b.path == "algoets/site-web.json"]
    series = [p.title for p in built.panels if fnmatch(p.key, "slo:*:sli")]
    assert sorted(series) == sorted([
        "Disponibilité (prod) : mesure et objectif", "Rapidité (prod) : mesure et objectif",
        "Disponibilité (staging) : mesure et objectif",
        "Rapidité (staging) : mesure et objectif"])


def test_drift_problems(config_dir: Path) -> None:
    assert drift_problems(config_dir) == []  # no dashboards/: nothing generated here
    out = config_dir / "dashboards"
    write(load_config(config_dir), out)
    assert drift_problems(config_dir) == []

    site = out / "algoets/site-web.json"
    lines = site.read_text().splitlines(keepends=True)
    lines[10] = lines[10].replace('"', "'", 1)
    site.write_text("".join(lines))
    (out / "algoets/old-app.json").write_text("{}")
    (out / "sonia/portail.json").unlink()
    problems = {p.file: p for p in drift_problems(config_dir)}
    assert set(problems) == {"dashboards/algoets/site-web.json", "dashboards/algoets/old-app.json",
                             "dashboards/sonia/portail.json"}
    assert problems["dashboards/algoets/site-web.json"].line == 11
    assert "missing" in problems["dashboards/sonia/portail.json"].message

    changed, removed = write(load_config(config_dir), out)
    assert sorted(changed) == ["algoets/site-web.json", "sonia/portail.json"]
    assert removed == ["algoets/old-app.json"]
    assert drift_problems(config_dir) == []

    (config_dir / "slo/sonia/portail.yaml").write_text("app: [")
    assert drift_problems(config_dir) == []  # the config check reports the broken file


def test_cli_build_and_check(config_dir: Path) -> None:
    app = typer.Typer()
    app.add_typer(dashboards_cli.app, name="dashboards")
    runner = CliRunner()
    args = ["dashboards", "build", "--config-dir", str(config_dir)]
    result = runner.invoke(app, [*args, "--check"])
    assert result.exit_code == 1 and "missing" in result.output
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote admin/overview.json" in result.output
    assert (config_dir / "dashboards/provisioning/dashboards/vigie.yaml").is_file()
    result = runner.invoke(app, [*args, "--check"])
    assert result.exit_code == 0 and "up to date" in result.output
    slo = config_dir / "slo/sonia/portail.yaml"
    slo.write_text(slo.read_text().replace("objective: 99.5", "objective: 99.7"))
    result = runner.invoke(app, [*args, "--check"])
    assert result.exit_code == 1
    assert "dashboards/sonia/portail.json" in result.output
    assert "dashboards/admin/overview.json" in result.output


def test_drift_check_fits_vigie_check(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``drift_problems`` is a ``vigie.cli.config.CHECKS`` entry: same signature and output."""
    from vigie.cli import config as config_cli

    monkeypatch.setattr(config_cli, "CHECKS", (*config_cli.CHECKS, drift_problems))
    app = typer.Typer()
    app.command("check")(config_cli.check)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    write(load_config(config_dir), config_dir / "dashboards")
    result = runner.invoke(app, ["check", "--config-dir", str(config_dir)])
    assert result.exit_code == 0, result.output
    (config_dir / "dashboards/cedille/wiki.json").write_text("{}\n")
    result = runner.invoke(app, ["check", "--config-dir", str(config_dir)])
    assert result.exit_code == 1
    assert result.output.startswith("dashboards/cedille/wiki.json:1: (generated): differs")
