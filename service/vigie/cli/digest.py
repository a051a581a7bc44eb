"""``vigie digest --week <date>``: the weekly digests of any past week, as the channels get them.

Prints each channel's digest (the Discord message as text, or its JSON body with ``--json``);
``--club`` keeps one club (``admins`` for the platform summary). Nothing is sent: the service
sends each week's digests on Monday morning. Like every command that opens the store, with the
embedded engine it needs ``vigie serve`` stopped.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.incidents.lines import Links
from vigie.notify.render import render_message
from vigie.notify.weekly import WeeklyDigests
from vigie.store import connect
from vigie.store.migrations import migrate


def digest(
    ctx: typer.Context,
    week: str = typer.Option(
        "", help="A day of the week to replay (YYYY-MM-DD, any day); default: last week."
    ),
    club: str = typer.Option("", help="Only this club's digest ('admins': the platform's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the Discord JSON bodies."),
) -> None:
    """Print the weekly digests of a week (Monday to Sunday, each club's time zone)."""
    try:
        day = date.fromisoformat(week) if week else (datetime.now(UTC) - timedelta(days=7)).date()
    except ValueError:
        raise typer.BadParameter(f"--week: {week!r} is not a date (YYYY-MM-DD)") from None
    monday = day - timedelta(days=day.weekday())
    settings = settings_of(ctx)
    config = load_config(settings.config_dir)
    if club and club != "admins" and club not in {c.id for c in config.clubs}:
        raise typer.BadParameter(f"--club: no club {club!r} in alerts/clubs.yaml")
    store = connect(settings)
    try:
        migrate(store, settings)
        links = Links(settings.public_url, settings.grafana_url)
        digests = WeeklyDigests(store, config, links, lambda: datetime.now(UTC))
        notices = digests.build(monday, only=club or None)
    finally:
        store.close()
    if not notices:
        typer.echo(f"no digest for the week of {monday}: no club with an app", err=True)
    names = {c.id: c.name for c in config.clubs}
    for notice in notices:
        body = render_message(notice, club_names=names)
        if as_json:
            typer.echo(json.dumps({"channel": notice.channel, "body": body}, ensure_ascii=False))
        else:
            typer.echo(f"# {notice.channel}\n{as_text(body)}\n")


def as_text(body: dict[str, Any]) -> str:
    """A Discord body as plain text: content, then each embed's title and description."""
    parts = [str(body.get("content", ""))]
    for embed in body.get("embeds", []):
        if "title" in embed:
            parts.append(f"\n## {embed['title']}")
        if "description" in embed:
            parts.append(str(embed["description"]))
    return "\n".join(parts)
