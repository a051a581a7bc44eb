"""``vigie dashboards build [--check]``: write (or compare) ``dashboards/`` from the config."""

from __future__ import annotations

from pathlib import Path

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.dashboards.build import OUTPUT_DIR, drift, write

app = typer.Typer(help="Grafana dashboards generated from slo/ and alerts/.", no_args_is_help=True)


@app.command()
def build(
    ctx: typer.Context,
    check: bool = typer.Option(
        False, "--check", help="write nothing; fail if dashboards/ differs from the config"
    ),
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="directory holding slo/ and alerts/ (default: VIGIE_CONFIG_DIR)"
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help=f"output directory (default: <config dir>/{OUTPUT_DIR})"
    ),
) -> None:
    """Generate the Grafana provisioning files and one dashboard per app, plus admin ones."""
    directory = config_dir if config_dir is not None else settings_of(ctx).config_dir
    target = out_dir if out_dir is not None else directory / OUTPUT_DIR
    config = load_config(directory)
    if check:
        problems = drift(config, target)
        for problem in problems:
            typer.echo(str(problem))
        if problems:
            typer.echo(f"{len(problems)} generated file(s) out of date in {target}", err=True)
            raise typer.Exit(1)
        typer.echo(f"{target}: up to date")
        return
    changed, removed = write(config, target)
    for rel in changed:
        typer.echo(f"wrote {rel}")
    for rel in removed:
        typer.echo(f"removed {rel}")
    typer.echo(f"{target}: {len(changed)} written, {len(removed)} removed")
