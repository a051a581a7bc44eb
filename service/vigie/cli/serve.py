"""``vigie serve``: the receiver, the API and the scheduled evaluation, on one port."""

from __future__ import annotations

import os

import typer
import uvicorn

from vigie.cli import settings_of
from vigie.errors import ConfigError
from vigie.ingest.senders import check_anonymous_host
from vigie.observability import configure_logging, configure_telemetry


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8000, help="Port of the OTLP/HTTP receiver and the API."),
) -> None:
    """Run the service until interrupted; SIGINT/SIGTERM flush accepted telemetry first."""
    from vigie.server import create_app

    settings = settings_of(ctx)
    try:
        check_anonymous_host(settings.ingest_anonymous, host)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--host") from None
    configure_logging(settings.log_level)
    configure_telemetry(settings, host=host, port=port)
    uvicorn.run(
        create_app(settings, environ=os.environ, local_url=f"http://{_local_host(host)}:{port}"),
        host=host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=30,
    )


def _local_host(host: str) -> str:
    """Where the CLI on this machine reaches the service."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
