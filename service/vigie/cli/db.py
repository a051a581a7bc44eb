"""``vigie db …``: schema management."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from vigie.cli import settings_of
from vigie.local import running_service
from vigie.settings import Settings
from vigie.store import Store, connect
from vigie.store.migrations import migrate as apply_migrations
from vigie.store.migrations import pending

app = typer.Typer(help="Manage the ClickHouse schema.", no_args_is_help=True)

T = TypeVar("T")


def _on_schema(ctx: typer.Context, work: Callable[[Store, Settings], list[T]]) -> list[T]:
    """What ``work`` returns for the configured database (saying it is up to date when that is
    nothing); the connection is closed before anything is printed."""
    settings = settings_of(ctx)
    if running_service(settings) is not None:
        typer.echo(
            "vigie: vigie serve holds the store and applied every migration it knows when it "
            "started; stop it to check or migrate the schema with this command",
            err=True,
        )
        raise typer.Exit(1)
    store = connect(settings)
    try:
        done = work(store, settings)
    finally:
        store.close()
    if not done:
        typer.echo(f"schema up to date ({store.database})")
    return done


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or update the tables (idempotent): exporter tables and Vigie's own."""
    for version in _on_schema(ctx, apply_migrations):
        typer.echo(f"applied migration {version:04d}")


@app.command()
def status(ctx: typer.Context) -> None:
    """List the migrations not applied yet, without applying anything."""
    for migration in _on_schema(ctx, pending):
        typer.echo(f"pending {migration.version:04d} {migration.description}")
