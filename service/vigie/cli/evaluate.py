"""``vigie evaluate [--at <RFC 3339 time>] [--json] [--dry-run]``: evaluate every SLO once, for
any instant, then run the incident and notification stages on that evaluation.

One line of JSON per SLO with ``--json``, else a table followed by the incident events and
notices. Evaluating a past instant reads only the data before it, so ``--at`` replays what the
engine would have decided then (within the rollups' retention), through the whole path: incident
events are written and the notices delivered to Discord (then it says how many were sent, and
which wait in the outbox for the next ``vigie serve``, with why). ``--dry-run`` writes and sends
nothing and prints the events and notices (with ``--json``, as extra lines with ``"type":
"event"`` or ``"notice"``). The stages are the service's own: the evaluator of
:func:`vigie.runtime.build_evaluator`, :class:`vigie.incidents.service.IncidentService` and
:class:`vigie.notify.dispatcher.Delivery`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import typer

from vigie.cli import settings_of
from vigie.config import Config, load_config
from vigie.incidents.pipeline import CycleOutcome
from vigie.incidents.service import IncidentService
from vigie.local import ApiError, RunningService, running_service
from vigie.notify.discord import WebhookClient
from vigie.notify.dispatcher import Delivery
from vigie.runtime import build_evaluator
from vigie.slo import retention
from vigie.slo.catalog import SloTarget, targets_from_files
from vigie.slo.counts import LAST_SEEN_LOOKBACK, read_engine_now
from vigie.slo.evaluator import Evaluation
from vigie.store import Store, connect

_TABLE_BURNS = ("5m", "1h", "6h", "1d", "3d")
DELIVERY_WAIT_S = 30.0


def parse_instant(text: str) -> datetime:
    """An RFC 3339 time with its offset (``2026-11-27T03:00:00Z``)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{text!r} has no UTC offset (add Z or +hh:mm)")
    return moment.astimezone(UTC)


def evaluate_command(
    ctx: typer.Context,
    at: str | None = typer.Option(
        None, "--at", help="instant to evaluate, RFC 3339 (default: now)", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per SLO and line"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="write no incident event, record no notice: print them"
    ),
) -> None:
    """Evaluate every SLO once, print its state, burn rates and error budget, and run the
    incident and notification stages."""
    settings = settings_of(ctx)
    instant = parse_instant(at) if at is not None else datetime.now(UTC)
    service = running_service(settings)
    if service is not None:
        _beside_serve(service, at, as_json, settings.evaluation_interval_s)
        return
    config = load_config(settings.config_dir)
    store = connect(settings)
    delivered = ""
    try:
        if at is not None:
            targets = targets_from_files(config.slo_files)
            _refuse_if_too_old(store, instant, targets, settings.ttl_days)
        result = build_evaluator(settings, store, config, lambda: instant).evaluate(instant)
        delivery = None if dry_run else _delivery(store, config)
        incidents = IncidentService.from_settings(store, config, settings, delivery=delivery)
        outcome = incidents.run_cycle(result, now=result.at, dry_run=dry_run)
        if delivery is not None:
            delivered = _deliver(delivery, outcome)
    finally:
        store.close()
    if as_json:
        for status in result.statuses:
            typer.echo(json.dumps(status.as_dict(), ensure_ascii=False))
        for item in outcome.as_dicts() if dry_run else ():
            typer.echo(json.dumps(item, ensure_ascii=False))
    else:
        typer.echo(render_table(result))
        typer.echo(render_outcome(outcome))
    if delivered:
        typer.echo(delivered, err=as_json)


def _beside_serve(
    service: RunningService, at: str | None, as_json: bool, interval_s: float
) -> None:
    """The running service holds the store and runs every stage itself: show its evaluation."""
    if at is not None:
        raise typer.BadParameter(
            "vigie serve holds the store: stop it to replay a past instant", param_hint="--at"
        )
    try:
        current = service.call("GET", "/api/v1/slos")
    except ApiError as exc:
        typer.echo(f"vigie: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        for status in current["slos"]:
            typer.echo(json.dumps(status, ensure_ascii=False))
    else:
        typer.echo(_table(current["slos"], f"evaluated at {current['at']} by vigie serve"))
    typer.echo(
        f"vigie serve holds the store: it evaluates every {interval_s:g} s, writes the incident "
        "events and sends the notices itself; this command changed nothing",
        err=as_json,
    )


def _delivery(store: Store, config: Config) -> Delivery:
    delivery = Delivery(
        store, config.alerts, os.environ, WebhookClient(), lambda: datetime.now(UTC)
    )
    return delivery  # not started: it sends what this run decides, not others' pending notices


def _deliver(delivery: Delivery, outcome: CycleOutcome) -> str:
    """Send what the cycle decided; say where it went."""
    keys = [n.key for n in outcome.notices]
    try:
        delivery.drain(DELIVERY_WAIT_S)
    finally:
        delivery.stop()
    if not keys:
        return ""
    states = delivery.outbox.states(keys)
    sent = sum(1 for k in keys if states.get(k) == "sent")
    waiting = len(keys) - sent
    line = f"notices: {sent} sent to Discord"
    if waiting:
        line += (f", {waiting} not sent (Discord refused or did not answer in time): kept in the "
                 "outbox, the running or next `vigie serve` sends them")  # fmt: skip
    return line


def _refuse_if_too_old(
    store: Store, instant: datetime, targets: Sequence[SloTarget], ttl_days: int
) -> None:
    """An instant past the rollups' retention would read as ``no_data``: say so instead."""
    periods: dict[str, timedelta] = {t.slo.window: t.slo.window_timedelta for t in targets}
    too_old = retention.check(instant, read_engine_now(store), periods,
                              retention.Retention.for_ttl(ttl_days), LAST_SEEN_LOOKBACK)
    if too_old is not None:
        raise typer.BadParameter(too_old.message(), param_hint="--at")


def render_outcome(outcome: CycleOutcome) -> str:
    """The incident stage's events and notices, one per line, with their reasons."""
    return "\n".join(outcome.lines())


def render_table(result: Evaluation) -> str:
    """A fixed-width table, one SLO per line."""
    footer = f"evaluated at {result.at.isoformat()} in {result.duration_s * 1000:.0f} ms"
    return _table([status.as_dict() for status in result.statuses], footer)


def _table(statuses: list[dict[str, Any]], footer: str) -> str:
    head = ["club", "app", "slo", "objective", "window", "state", *_TABLE_BURNS, "budget", "events"]
    rows = [head]
    for d in statuses:
        rows.append(
            [
                d["club"],
                d["app"] + (f"/{d['environment']}" if d["environment"] else ""),
                d["slo"],
                f"{d['objective']:g}%",
                d["window"],
                d["state"],
                *(_burn(d["burn_rates"][w]) for w in _TABLE_BURNS),
                "-" if d["budget_remaining"] is None else f"{d['budget_remaining']:.1%}",
                f"{d['events_bad']:g}/{d['events_total']:g}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(footer)
    return "\n".join(line.rstrip() for line in lines)


def _burn(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"
