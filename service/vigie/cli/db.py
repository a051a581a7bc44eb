"""``vigie db …``: schema management."""

from __future__ import annotations

import typer

app = typer.Typer(help="Manage the ClickHouse schema.", no_args_is_help=True)
