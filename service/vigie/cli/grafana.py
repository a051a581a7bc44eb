"""``vigie grafana sync``: one folder and one team per club in Grafana, the team views it."""

from __future__ import annotations

from pathlib import Path

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.grafana.client import GrafanaClient
from vigie.grafana.sync import apply, desired, observe, plan

app = typer.Typer(help="Grafana access for the clubs.", no_args_is_help=True)


@app.command()
def sync(
    ctx: typer.Context,
    url: str = typer.Option(..., "--url", help="Grafana base URL, e.g. https://grafana.example"),
    token: str = typer.Option(
        ..., "--token", help="service account token (org admin); never printed"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the plan, change nothing"),
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="directory holding slo/ and alerts/ (default: VIGIE_CONFIG_DIR)"
    ),
) -> None:
    """Reconcile club folders, teams (members from alerts/clubs.yaml) and folder permissions.

    Prints the plan first; running it again changes nothing. No other object is touched.
    """
    directory = config_dir if config_dir is not None else settings_of(ctx).config_dir
    wanted = desired(load_config(directory).alerts)
    client = GrafanaClient.connect(url, token)
    try:
        seen = observe(client, wanted)
        steps = plan(wanted, seen)
        changes = [s for s in steps if s.kind != "warning"]
        for step in steps:
            typer.echo(str(step))
        if not changes:
            typer.echo("Grafana is up to date")
            return
        if dry_run:
            typer.echo(f"dry run: {len(changes)} change(s) not applied")
            return
        apply(client, steps, seen)
        typer.echo(f"applied {len(changes)} change(s)")
    finally:
        client.close()
