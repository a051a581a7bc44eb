from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from vigie.cli import config as config_cli
from vigie.config import AlertsConfig, SloFile
from vigie.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
URL = "https://discord.com/api/webhooks/123456789012345678/sekrit-token"


def make_app(config_dir: Path) -> typer.Typer:
    """A root like vigie.cli's (settings in the context) holding only these commands, registered
    the way vigie.cli registers them."""
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = load_settings(config_dir=config_dir)

    app.command("check")(config_cli.check)
    app.add_typer(config_cli.schema_app, name="schema")
    return app


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    for part in ("alerts", "slo"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path


def test_check_passes_on_the_sample_config(sample: Path) -> None:
    result = CliRunner().invoke(make_app(sample), ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 clubs, 5 apps, 10 SLOs: OK"


def test_check_prints_every_problem_and_fails(sample: Path) -> None:
    clubs = sample / "alerts/clubs.yaml"
    text = clubs.read_text()
    at = next(n for n, row in enumerate(text.splitlines(), 1) if "VIGIE_DISCORD_SONIA" in row)
    clubs.write_text(text.replace("{env: VIGIE_DISCORD_SONIA}", URL))
    site = sample / "slo/algoets/site-web.yaml"
    site.write_text(site.read_text().replace("window: 30d", "window: 15d"))
    result = CliRunner().invoke(make_app(sample), ["check"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"alerts/clubs.yaml:{at}: clubs[2].webhook: expected {{env: VARIABLE}}"
    )
    assert lines[1].startswith("slo/algoets/site-web.yaml:10: slos[0].window: input should be")
    assert "2 problem(s)" in result.stderr
    assert "sekrit" not in result.output


def test_config_dir_option_overrides_the_settings(
    sample: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    empty = tmp_path_factory.mktemp("empty")
    result = CliRunner().invoke(make_app(empty), ["check", "--config-dir", str(sample)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(make_app(empty), ["check"])
    assert result.exit_code == 1
    assert "alerts/clubs.yaml: (file): not found" in result.output


@pytest.mark.parametrize(("name", "model"), [("slo", SloFile), ("alerts", AlertsConfig)])
def test_schema_commands_print_json_schema(
    name: str, model: type[SloFile | AlertsConfig], sample: Path
) -> None:
    result = CliRunner().invoke(make_app(sample), ["schema", name])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(model.model_fields)


def test_slo_schema_describes_windows_and_durations(sample: Path) -> None:
    slo = json.loads(CliRunner().invoke(make_app(sample), ["schema", "slo"]).stdout)
    assert slo["$defs"]["Slo"]["properties"]["window"]["enum"] == ["7d", "28d", "30d", "90d"]
    alerts = json.loads(CliRunner().invoke(make_app(sample), ["schema", "alerts"]).stdout)
    group_wait = alerts["$defs"]["Policy"]["properties"]["group_wait"]
    assert group_wait["type"] == "string" and group_wait["default"] == "30s"
