"""``vigie db …``: schema management."""

from __future__ import annotations

import typer

from vigie.cli import settings_of
from vigie.store import connect
from vigie.store.migrations import migrate as apply_migrations
from vigie.store.migrations import pending

app = typer.Typer(help="Manage the ClickHouse schema.", no_args_is_help=True)


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or update the tables (idempotent): exporter tables and Vigie's own."""
    settings = settings_of(ctx)
    store = connect(settings)
    try:
        applied = apply_migrations(store, settings)
    finally:
        store.close()
    if not applied:
        typer.echo(f"schema up to date ({store.database})")
    for version in applied:
        typer.echo(f"applied migration {version:04d}")


@app.command()
def status(ctx: typer.Context) -> None:
    """List the migrations not applied yet, without applying anything."""
    settings = settings_of(ctx)
    store = connect(settings)
    try:
        waiting = pending(store, settings)
    finally:
        store.close()
    if not waiting:
        typer.echo(f"schema up to date ({store.database})")
    for migration in waiting:
        typer.echo(f"pending {migration.version:04d} {migration.description}")
