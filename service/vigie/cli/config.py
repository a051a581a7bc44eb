"""``vigie check`` (validate the config directory) and ``vigie schema slo|alerts`` (JSON schemas
of the config files, for editor completion and validation)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import typer
from pydantic import BaseModel

from vigie.cli import settings_of
from vigie.config import AlertsConfig, Problem, SloFile, check_config, load_config
from vigie.config.fields import json_schema
from vigie.dashboards import drift_problems
from vigie.probes.collector import drift_problems as probe_drift_problems

ConfigCheck = Callable[[Path], Sequence[Problem]]

CHECKS: tuple[ConfigCheck, ...] = (check_config, drift_problems, probe_drift_problems)
"""What ``vigie check`` runs on the config directory, in order. Another check over the same
directory (e.g. dashboards drift) is a function ``(config_dir) -> problems`` added here."""


def check(
    ctx: typer.Context,
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="directory holding slo/ and alerts/ (default: VIGIE_CONFIG_DIR)"
    ),
) -> None:
    """Validate slo/ and alerts/: print every problem as file:line: field: what is wrong."""
    directory = config_dir if config_dir is not None else settings_of(ctx).config_dir
    problems = [problem for run in CHECKS for problem in run(directory)]
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {directory}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{load_config(directory).summary()}: OK")


schema_app = typer.Typer(
    help="Print the JSON schema of a config file, for editors.", no_args_is_help=True
)


def _print_schema(model: type[BaseModel], title: str) -> None:
    typer.echo(json.dumps(json_schema(model, title), indent=2, ensure_ascii=False))


@schema_app.command("slo")
def schema_slo() -> None:
    """JSON schema of slo/<club>/<app>.yaml."""
    _print_schema(SloFile, "Vigie SLO file (slo/<club>/<app>.yaml)")


@schema_app.command("alerts")
def schema_alerts() -> None:
    """JSON schema of alerts/clubs.yaml."""
    _print_schema(AlertsConfig, "Vigie alert routing (alerts/clubs.yaml)")
