"""``vigie token create --club X`` / ``--admin``: print a new API/web token once.

It writes to the store directly. With the embedded engine (``chdb://``) only one process may
open the data directory: run it while ``vigie serve`` is stopped (typically once, for the first
admin token); on a running server, admins create further tokens with ``POST /api/v1/tokens``.
"""

from __future__ import annotations

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.store import connect
from vigie.store.migrations import migrate
from vigie.web.auth import TokenStore

app = typer.Typer(help="API and web tokens (stored hashed, shown once).", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    club: str = typer.Option("", help="Captain token for this club (alerts/clubs.yaml id)."),
    admin: bool = typer.Option(False, "--admin", help="Admin token (every club)."),
    label: str = typer.Option("", help="Who holds it (shown as the author of report edits)."),
) -> None:
    """Create a token and print it (the only time it is shown)."""
    if admin == bool(club):
        raise typer.BadParameter("give exactly one of --club X or --admin")
    settings = settings_of(ctx)
    if club:
        try:
            load_config(settings.config_dir).alerts.club(club)
        except KeyError:
            raise typer.BadParameter(f"unknown club {club!r}") from None
    store = connect(settings)
    try:
        migrate(store, settings)
        token = TokenStore(store).create("admin" if admin else "captain", club, label)
    finally:
        store.close()
    typer.echo(token)
