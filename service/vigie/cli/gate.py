"""``vigie gate check|override``: the rollout gate from the command line.

``check`` prints what ``GET /api/v1/gate/{club}/{app}`` would answer; ``override add`` lets an
app roll out past the gate for a while (recorded in its open incidents), ``override list`` and
``override close`` show and end them. Beside a ``vigie serve`` holding the embedded store they
go through its API (:mod:`vigie.local`), with the same output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.config.fields import parse_duration
from vigie.gate.service import GateService
from vigie.incidents.service import IncidentService, NotFound
from vigie.local import ApiError, RunningService, here_or_there
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluator
from vigie.store import connect

T = TypeVar("T")
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


def _run(ctx: typer.Context, api: Callable[[RunningService], T],
         direct: Callable[[GateService], T]) -> T:
    def opened() -> T:
        with _gate(ctx) as gate:
            try:
                return direct(gate)
            except NotFound as exc:
                raise ApiError(404, str(exc)) from None
            except ValueError as exc:
                raise ApiError(422, str(exc)) from None

    try:
        return here_or_there(settings_of(ctx), api, opened)
    except ApiError as exc:
        if exc.status == 404 and "override" in str(exc):
            typer.echo(f"vigie: {exc}", err=True)
            raise typer.Exit(1) from None
        raise typer.BadParameter(str(exc)) from None


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
    params: dict[str, Any] = {"canary": canary or "", "stable": stable or "", "window": window}
    body = _run(
        ctx,
        lambda s: s.call("GET", f"/api/v1/gate/{club}/{app_name}", params=params),
        lambda g: g.judge(club, app_name, canary=canary, stable=stable,
                          window=timedelta(minutes=window)),
    )
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
    body = {"duration": duration, "reason": reason, "author": author}
    _echo(_run(
        ctx,
        lambda s: s.call("POST", f"/api/v1/gate/{club}/{app_name}/override", json=body),
        lambda g: g.open_override(club, app_name, duration=span, author=author,
                                  reason=reason).as_dict(g.clock()),
    ))


@overrides.command("list")
def list_(ctx: typer.Context) -> None:
    """Every override, newest first."""
    found: list[dict[str, Any]] = _run(
        ctx,
        lambda s: s.call("GET", "/api/v1/gate-overrides")["overrides"],
        lambda g: [o.as_dict(g.clock()) for o in g.list_overrides()],
    )
    if not found:
        typer.echo("no override")
    for o in found:
        state = "active" if o["active"] else "ended"
        typer.echo(f"{o['id']}  {o['club']}/{o['app']}  {state}  until {o['ends_at']}  "
                   f"{o['author']}: {o['reason']}")


@overrides.command("close")
def close(ctx: typer.Context, override_id: str,
          author: str = typer.Option(..., "--author", help="who ends it")) -> None:
    """End an override now."""
    _echo(_run(
        ctx,
        lambda s: s.call("DELETE", f"/api/v1/gate-overrides/{override_id}",
                         params={"author": author}),
        lambda g: g.close_override(override_id, author).as_dict(g.clock()),
    ))
