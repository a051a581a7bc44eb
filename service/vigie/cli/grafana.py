"""``vigie grafana sync``: one folder and one team per club in Grafana, the team views it."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from pydantic import SecretStr

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.dashboards import access
from vigie.dashboards.build import apps_by_club
from vigie.grafana.client import GrafanaClient
from vigie.grafana.sync import apply, desired, observe, plan
from vigie.store import connect

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


@app.command("clickhouse-access")
def clickhouse_access(
    ctx: typer.Context,
    apply_: bool = typer.Option(
        False, "--apply", help="run the statements on the configured ClickHouse"
    ),
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="directory holding slo/ and alerts/ (default: VIGIE_CONFIG_DIR)"
    ),
) -> None:
    """Each club's ClickHouse role and row policies, and its Grafana user.

    Prints the role and policy statements (dashboards/provisioning/clickhouse/club-access.sql).
    With --apply, runs them on the configured database (the connection's user must be allowed to
    manage access), then creates or updates the user vigie_grafana_<club> of every club whose
    password is in CLICKHOUSE_PASSWORD_<CLUB> (the variable its Grafana data source reads).
    Passwords are never printed.
    """
    settings = settings_of(ctx)
    directory = config_dir if config_dir is not None else settings.config_dir
    apps = apps_by_club(load_config(directory))
    statements = access.access_statements(apps)
    if not apply_:
        for statement in statements:
            typer.echo(f"{statement};")
        return
    store = connect(settings)
    for statement in statements:
        store.command(statement)
    typer.echo(f"roles and row policies of {len(apps)} club(s) applied to {store.database}")
    for club in sorted(apps):
        variable = access.password_variable(club)
        password = os.environ.get(variable, "")
        if not password:
            typer.echo(f"warning: {variable} is not set: user {access.club_user(club)} not "
                       "created or updated (its data source cannot log in)")
            continue
        for statement in access.user_statements(club, SecretStr(password)):
            store.command(statement)
        typer.echo(f"user {access.club_user(club)}: password set, role {access.club_role(club)}")
