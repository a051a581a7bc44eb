"""``vigie silence add|list|expire``: silence incidents by club, app and SLO for a while.

Matchers are exact; an omitted one matches anything. Silenced incidents are still recorded (their
events say which silence held them) but nobody is notified until the silence ends.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from vigie.cli import settings_of
from vigie.cli.evaluate import parse_instant
from vigie.config.fields import parse_duration
from vigie.incidents.silences import Silence, SilenceStore, new_silence
from vigie.store import connect

app = typer.Typer(help="Silence incidents (recorded, not notified) by club, app and SLO.")


def _silences(ctx: typer.Context) -> SilenceStore:
    return SilenceStore(connect(settings_of(ctx)))


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
        except ValueError as exc:
            raise typer.BadParameter(f"--duration: {exc}") from None
    try:
        silence = new_silence(
            club=club, app=app_name, slo=slo, starts_at=starts_at, ends_at=ends_at,
            author=author, comment=comment, now=now,
        )  # fmt: skip
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    store = _silences(ctx)
    try:
        store.add(silence)
    finally:
        store.store.close()
    typer.echo(f"{silence.id}  {_describe(silence, now)}")


@app.command("list")
def list_silences(
    ctx: typer.Context,
    include_all: bool = typer.Option(False, "--all", help="include expired silences"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per silence and line"),
) -> None:
    """List pending and active silences."""
    store = _silences(ctx)
    try:
        found = store.all()
    finally:
        store.store.close()
    now = datetime.now(UTC)
    shown = [s for s in found if include_all or s.state(now) != "expired"]
    for silence in shown:
        if as_json:
            typer.echo(json.dumps(silence.as_dict(now), ensure_ascii=False))
        else:
            typer.echo(f"{silence.id}  {_describe(silence, now)}")
    if not shown and not as_json:
        typer.echo("no silence")


@app.command("expire")
def expire(ctx: typer.Context, silence_id: str = typer.Argument(..., help="SIL-…")) -> None:
    """End a silence now."""
    store = _silences(ctx)
    try:
        expired = store.expire(silence_id, datetime.now(UTC))
    finally:
        store.store.close()
    if expired is None:
        typer.echo(f"vigie: no silence {silence_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{expired.id}  {_describe(expired, datetime.now(UTC))}")


def _describe(silence: Silence, now: datetime) -> str:
    matchers = " ".join(
        f"{name}={value or '*'}"
        for name, value in (("club", silence.club), ("app", silence.app), ("slo", silence.slo))
    )
    return (
        f"{silence.state(now):8} {matchers}  {silence.starts_at:%Y-%m-%d %H:%M} → "
        f"{silence.ends_at:%Y-%m-%d %H:%M} UTC  by {silence.author}: {silence.comment}"
    )
