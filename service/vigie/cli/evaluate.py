"""``vigie evaluate [--at <RFC 3339 time>] [--json] [--dry-run]``: evaluate every SLO once, for
any instant, then run the incident and notification stages on that evaluation.

One line of JSON per SLO with ``--json``, else a table followed by the incident events and
notices. Evaluating a past instant reads only the data before it, so ``--at`` replays what the
engine would have decided then (within the rollups' retention), through the whole path: incident
events are written and notices recorded in the delivery outbox (sent by the service's delivery).
``--dry-run`` writes and records nothing and prints the events and notices (with ``--json``, as
extra lines with ``"type": "event"`` or ``"notice"``). The stages are
:func:`vigie.slo.evaluator.evaluate` and :func:`vigie.incidents.pipeline.run_cycle`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.incidents.lines import Links
from vigie.incidents.pipeline import CycleOutcome, run_cycle
from vigie.incidents.service import OutboxSink
from vigie.slo import retention
from vigie.slo.catalog import SloTarget, targets_from_files
from vigie.slo.counts import LAST_SEEN_LOOKBACK, read_engine_now
from vigie.slo.evaluator import Evaluation, evaluate
from vigie.store import Store, connect

_TABLE_BURNS = ("5m", "1h", "6h", "1d", "3d")


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
    config = load_config(settings.config_dir)
    targets = targets_from_files(config.slo_files)
    store = connect(settings)
    try:
        if at is not None:
            _refuse_if_too_old(store, instant, targets, settings.ttl_days)
        result = evaluate(store, targets, instant, stale_after=config.alerts.policy.no_data_after)
        outcome = run_cycle(
            store,
            config,
            result,
            result.at,
            links=Links.of(settings),
            dry_run=dry_run,
            delivery=None if dry_run else OutboxSink(store),
        )
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
    head = ["club", "app", "slo", "objective", "window", "state", *_TABLE_BURNS, "budget", "events"]
    rows = [head]
    for status in result.statuses:
        d = status.as_dict()
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
    lines.append(f"evaluated at {result.at.isoformat()} in {result.duration_s * 1000:.0f} ms")
    return "\n".join(line.rstrip() for line in lines)


def _burn(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"
