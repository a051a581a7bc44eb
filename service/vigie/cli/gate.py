"""``vigie gate check|override``: the rollout gate from the command line.

``check`` prints what ``GET /api/v1/gate/{club}/{app}`` would answer; ``override add`` lets an
app roll out past the gate for a while (recorded in its open incidents), ``override list`` and
``override close`` show and end them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.config.fields import parse_duration
from vigie.gate.service import GateService
from vigie.incidents.service import IncidentService, NotFound
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluator
from vigie.store import connect

app = typer.Typer(help="The Argo Rollouts gate: judge an app or a canary, open overrides.")
overrides = typer.Typer(help="Let an app roll out past the gate for a while.")
app.add_typer(overrides, name="override")


@contextmanager
def _gate(ctx: typer.Context) -> Iterator[GateService]:
    settings = settings_of(ctx)
    config = load_config(settings.config_dir)
    store = connect(settings)
    try:
        def clock() -> datetime:
            return datetime.now(UTC)

        evaluator = Evaluator(store, targets_from_files(config.slo_files), clock,
                              stale_after=config.alerts.policy.no_data_after)
        incidents = IncidentService.from_settings(store, config, settings)
        yield GateService(evaluator, incidents, clock)
    finally:
        store.close()


def _echo(body: object) -> None:
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


@app.command("check")
def check(
    ctx: typer.Context,
    club: str,
    app_name: str = typer.Argument(..., metavar="APP"),
    canary: str | None = typer.Option(None, "--canary", help="service.version of the canary"),
    stable: str | None = typer.Option(None, "--stable", help="default: every other version"),
    window: int = typer.Option(10, "--window", min=1, max=60, help="minutes of analysis"),
) -> None:
    """Print the gate's answer; exit 1 on "fail", 3 on "inconclusive"."""
    with _gate(ctx) as gate:
        try:
            body = gate.judge(club, app_name, canary=canary, stable=stable,
                              window=timedelta(minutes=window))
        except NotFound as exc:
            raise typer.BadParameter(str(exc)) from None
    _echo(body)
    raise typer.Exit({"ok": 0, "fail": 1}.get(body["verdict"], 3))


@overrides.command("add")
def add(
    ctx: typer.Context,
    club: str,
    app_name: str = typer.Argument(..., metavar="APP"),
    duration: str = typer.Option(..., "--duration", help="at most 24h, e.g. 2h"),
    reason: str = typer.Option(..., "--reason", help="why this version may skip the gate"),
    author: str = typer.Option(..., "--author", help="who decides"),
) -> None:
    """Open an override and print it."""
    try:
        span = parse_duration(duration)
    except ValueError as exc:
        raise typer.BadParameter(f"--duration: {exc}") from None
    with _gate(ctx) as gate:
        try:
            override = gate.open_override(club, app_name, duration=span, author=author,
                                          reason=reason)
        except (ValueError, NotFound) as exc:
            raise typer.BadParameter(str(exc)) from None
        _echo(override.as_dict(gate.clock()))


@overrides.command("list")
def list_(ctx: typer.Context) -> None:
    """Every override, newest first."""
    with _gate(ctx) as gate:
        now = gate.clock()
        found = gate.list_overrides()
    if not found:
        typer.echo("no override")
    for o in found:
        state = "active" if o.active(now) else "ended"
        typer.echo(f"{o.id}  {o.club}/{o.app}  {state}  until {o.ends_at.isoformat()}  "
                   f"{o.author}: {o.reason}")


@overrides.command("close")
def close(ctx: typer.Context, override_id: str,
          author: str = typer.Option(..., "--author", help="who ends it")) -> None:
    """End an override now."""
    with _gate(ctx) as gate:
        try:
            closed = gate.close_override(override_id, author)
        except NotFound as exc:
            typer.echo(str(exc))
            raise typer.Exit(1) from None
        _echo(closed.as_dict(gate.clock()))
