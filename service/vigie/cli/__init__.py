"""The ``vigie`` command line (Typer). One module per command group, registered here.

Settings are read once here and handed to each command through the Typer context; a
:class:`~vigie.errors.VigieError` becomes a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from vigie.errors import VigieError
from vigie.settings import Settings, load_settings

app = typer.Typer(
    name="vigie",
    help="Vigie: OTLP in, ClickHouse, SLO alerts to Discord, post-incident reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback read for this invocation."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def _register() -> None:
    # Imported here so that each command module can import ``settings_of`` from this package.
    from vigie.cli import (
        config,
        dashboards,
        db,
        demo,
        deploy,
        digest,
        evaluate,
        gate,
        grafana,
        loadgen,
        probes,
        report,
        serve,
        silence,
        token,
    )

    app.add_typer(db.app, name="db")
    app.command("serve")(serve.serve)
    app.command("loadgen")(loadgen.loadgen)
    app.command("check")(config.check)
    app.add_typer(config.schema_app, name="schema")
    app.command("evaluate")(evaluate.evaluate_command)
    app.command("demo")(demo.demo)
    app.command("digest")(digest.digest)
    app.add_typer(silence.app, name="silence")
    app.add_typer(dashboards.app, name="dashboards")
    app.add_typer(deploy.app, name="deploy")
    app.add_typer(grafana.app, name="grafana")
    app.add_typer(probes.app, name="probes")
    app.command("report")(report.report)
    app.add_typer(token.app, name="token")
    app.add_typer(gate.app, name="gate")


_register()


def main() -> None:
    try:
        app()
    except VigieError as exc:
        typer.echo(f"vigie: {exc}", err=True)
        sys.exit(2)
