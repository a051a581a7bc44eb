"""``vigie silence add|list|expire``: silence incidents by club, app and SLO for a while.

Matchers are exact; an omitted one matches anything. Silenced incidents are still recorded (their
events say which silence held them) but nobody is notified until the silence ends. The commands go
through :class:`~vigie.incidents.service.IncidentService` (the store opened here), or through the
API of the ``vigie serve`` holding the embedded store (:mod:`vigie.local`), with the same output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import typer

from vigie.cli import settings_of
from vigie.cli.evaluate import parse_instant
from vigie.config import load_config
from vigie.config.fields import parse_duration
from vigie.incidents.service import IncidentService, NotFound
from vigie.local import ApiError, here_or_there
from vigie.store import connect

app = typer.Typer(help="Silence incidents (recorded, not notified) by club, app and SLO.")
T = TypeVar("T")


@contextmanager
def _incidents(ctx: typer.Context) -> Iterator[IncidentService]:
    settings = settings_of(ctx)
    config = load_config(settings.config_dir)
    store = connect(settings)
    try:
        yield IncidentService.from_settings(store, config, settings)
    finally:
        store.close()


def _run(ctx: typer.Context, api: Callable[[Any], T], direct: Callable[[IncidentService], T]) -> T:
    """``api(service)`` through the running service when there is one, else ``direct``."""

    def opened() -> T:
        with _incidents(ctx) as incidents:
            return direct(incidents)

    try:
        return here_or_there(settings_of(ctx), api, opened)
    except ApiError as exc:
        typer.echo(f"vigie: {exc}", err=True)
        raise typer.Exit(1 if exc.status == 404 else 2) from None


@app.command("add")
def add(
    ctx: typer.Context,
    author: str = typer.Option(..., "--author", help="who silences"),
    comment: str = typer.Option(..., "--comment", help="why"),
    club: str = typer.Option("", "--club", help="club id (default: any)"),
    app_name: str = typer.Option("", "--app", help="app (default: any)"),
    slo: str = typer.Option("", "--slo", help="SLO name (default: any)"),
    start: str | None = typer.Option(None, "--start", help="RFC 3339 (default: now)"),
    end: str | None = typer.Option(None, "--end", help="RFC 3339; or --duration"),
    duration: str | None = typer.Option(None, "--duration", help="e.g. 2h, 1d, 1h30m"),
) -> None:
    """Create a silence and print its id."""
    if (end is None) == (duration is None):
        raise typer.BadParameter("give either --end or --duration")
    now = datetime.now(UTC)
    starts_at = parse_instant(start) if start is not None else now
    if end is not None:
        ends_at = parse_instant(end)
    else:
        try:
            ends_at = starts_at + parse_duration(duration)
        except (ValueError, OverflowError) as exc:
            raise typer.BadParameter(f"--duration: {exc}") from None
    body = {"club": club, "app": app_name, "slo": slo, "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(), "author": author, "comment": comment}  # fmt: skip

    def direct(incidents: IncidentService) -> dict[str, Any]:
        if club and club not in {c.id for c in incidents.config.clubs}:
            raise typer.BadParameter(f"unknown club {club!r}", param_hint="--club")
        try:
            silence = incidents.add_silence(
                club=club, app=app_name, slo=slo, starts_at=starts_at, ends_at=ends_at,
                author=author, comment=comment,
            )  # fmt: skip
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        return silence.as_dict(datetime.now(UTC))

    added = _run(ctx, lambda s: s.call("POST", "/api/v1/silences", json=body), direct)
    typer.echo(f"{added['id']}  {_describe(added)}")


@app.command("list")
def list_silences(
    ctx: typer.Context,
    include_all: bool = typer.Option(False, "--all", help="include expired silences"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per silence and line"),
) -> None:
    """List pending and active silences."""
    shown = _run(
        ctx,
        lambda s: s.call("GET", "/api/v1/silences", params={"all": include_all})["silences"],
        lambda i: [
            s.as_dict(datetime.now(UTC)) for s in i.list_silences(include_expired=include_all)
        ],
    )
    for silence in shown:
        if as_json:
            typer.echo(json.dumps(silence, ensure_ascii=False))
        else:
            typer.echo(f"{silence['id']}  {_describe(silence)}")
    if not shown and not as_json:
        typer.echo("no silence")


@app.command("expire")
def expire(ctx: typer.Context, silence_id: str = typer.Argument(..., help="SIL-…")) -> None:
    """End a silence now."""

    def direct(incidents: IncidentService) -> dict[str, Any]:
        try:
            return incidents.expire_silence(silence_id).as_dict(datetime.now(UTC))
        except NotFound as exc:
            typer.echo(f"vigie: {exc}", err=True)
            raise typer.Exit(1) from None

    expired = _run(ctx, lambda s: s.call("DELETE", f"/api/v1/silences/{silence_id}"), direct)
    typer.echo(f"{expired['id']}  {_describe(expired)}")


def _describe(silence: dict[str, Any]) -> str:
    """One silence as printed (``Silence.as_dict``, the API's form too)."""
    matchers = " ".join(f"{name}={value or '*'}" for name, value in silence["matchers"].items())
    starts, ends = (datetime.fromisoformat(silence[k]) for k in ("starts_at", "ends_at"))
    return (
        f"{silence['state']:8} {matchers}  {starts:%Y-%m-%d %H:%M} → "
        f"{ends:%Y-%m-%d %H:%M} UTC  by {silence['author']}: {silence['comment']}"
    )
