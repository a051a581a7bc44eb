"""``vigie loadgen``: realistic telemetry of the sample club apps, live or back-dated.

Registered by the root CLI as ``app.command("loadgen")(loadgen)``. Everything goes to the OTLP/HTTP
receiver at ``--endpoint``; the command never opens the store (a running ``vigie serve`` holds it).
"""

from __future__ import annotations

import random
import time

import httpx
import typer

from vigie.loadgen.catalog import SAMPLE_APPS, App, select_apps
from vigie.loadgen.history import DEFAULT_BATCH_SPANS, OtlpPoster, Sent, write_history
from vigie.loadgen.live import SdkEmitter, otlp_http, pace
from vigie.loadgen.scenarios import Scenario, parse_scenario, past_incidents
from vigie.loadgen.traffic import request_stream

_S = 1_000_000_000
_DAY_NS = 86_400 * _S


def _apps(values: list[str] | None) -> list[str]:
    # Both "--apps a --apps b" and "--apps a,b".
    return [k.strip() for v in values or [] for k in v.split(",") if k.strip()]


def loadgen(
    ctx: typer.Context,
    endpoint: str = typer.Option(
        "http://127.0.0.1:8000", help="Base URL of the OTLP/HTTP receiver (/v1/traces, /v1/logs)."
    ),
    rate: float = typer.Option(50.0, min=0.001, help="Live: requests per second, all apps."),
    duration: float = typer.Option(60.0, min=0.0, help="Live: seconds to run, then stop."),
    apps: list[str] | None = typer.Option(
        None, "--apps", help="Apps as club/app (repeat or comma-separate). Default: all."
    ),
    scenario: list[str] | None = typer.Option(
        None,
        "--scenario",
        help="Live: outage:CLUB/APP[:SHARE] | latency:CLUB/APP[:FACTOR] | "
        "deploy:CLUB/APP[:VERSION]. Repeatable.",
    ),
    scenario_start: float | None = typer.Option(
        None, min=0.0, help="Live: seconds into the run when scenarios begin (default: half-way)."
    ),
    history_days: float | None = typer.Option(
        None,
        min=0.0,
        help="Write back-dated history for this many days up to now (with past incidents), "
        "then exit instead of running live.",
    ),
    history_rate: float = typer.Option(
        6.0, min=0.001, help="History: requests per minute, all apps, daily average."
    ),
    batch_spans: int = typer.Option(
        DEFAULT_BATCH_SPANS, min=1, help="History: spans per OTLP request."
    ),
    seed: int | None = typer.Option(None, help="Random seed (printed when not given)."),
    timeout: float = typer.Option(10.0, min=0.1, help="Seconds per HTTP request."),
    token: str | None = typer.Option(
        None,
        envvar="VIGIE_INGEST_TOKEN",
        show_default=False,
        help="Ingest token sent as Authorization: Bearer (the platform's, for every club).",
    ),
) -> None:
    """Send realistic traces and logs of the sample club apps to a Vigie receiver."""
    try:
        chosen = select_apps(_apps(apps))
        keys = tuple(a.key for a in SAMPLE_APPS)
        scenarios = tuple(parse_scenario(text, keys) for text in scenario or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if history_days is not None and (scenarios or scenario_start is not None):
        raise typer.BadParameter(
            "--scenario and --scenario-start apply to live runs; history writes its own past "
            "incidents"
        )
    if seed is None:
        seed = random.SystemRandom().getrandbits(32)
        typer.echo(f"seed: {seed}")
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    if history_days is not None:
        _history(endpoint, chosen, history_days, history_rate, batch_spans, seed, timeout, auth)
    else:
        start_at = duration / 2 if scenario_start is None else scenario_start
        _live(endpoint, chosen, rate, duration, scenarios, start_at, seed, timeout, auth)


def _history(
    endpoint: str,
    apps: tuple[App, ...],
    days: float,
    per_minute: float,
    batch_spans: int,
    seed: int,
    timeout: float,
    auth: dict[str, str],
) -> None:
    now = time.time_ns()
    start = now - int(days * _DAY_NS)
    incidents = past_incidents(now, days)
    for s in incidents:
        if any(a.key == s.app for a in apps):
            typer.echo(f"incident: {_describe(s)}")
    stream = request_stream(apps, start, now, per_minute / 60, incidents, seed, daily=True)
    began = time.perf_counter()

    def progress(sent: Sent) -> None:
        typer.echo(f"\r{sent.spans:,} spans, {sent.logs:,} logs sent", nl=False, err=True)

    with httpx.Client(timeout=timeout, headers=auth) as client:
        sent = write_history(
            stream, OtlpPoster(client, endpoint, time.sleep), batch_spans, progress
        )
    elapsed = max(time.perf_counter() - began, 1e-9)
    typer.echo("", err=True)
    typer.echo(
        f"history: {sent.requests:,} requests, {sent.spans:,} spans, {sent.logs:,} logs over "
        f"{days:g} days in {elapsed:.1f} s ({sent.spans / elapsed:,.0f} spans/s); "
        f"rejected: {sent.rejected_spans} spans, {sent.rejected_logs} logs; "
        f"retries: {sent.retries}"
    )


def _live(
    endpoint: str,
    apps: tuple[App, ...],
    rate: float,
    duration: float,
    scenarios: tuple[Scenario, ...],
    scenario_start: float,
    seed: int,
    timeout: float,
    auth: dict[str, str],
) -> None:
    start = time.time_ns()
    active = tuple(s.shifted(start + int(scenario_start * _S)) for s in scenarios)
    for s in active:
        typer.echo(f"scenario from +{scenario_start:g} s: {_describe(s)}")
    emitter = SdkEmitter(otlp_http(endpoint, timeout, auth), timeout)
    stream = request_stream(apps, start, start + int(duration * _S), rate, active, seed)
    began = time.perf_counter()
    count = pace(stream, emitter.emit, time.time_ns, time.sleep)
    exported = emitter.close()
    elapsed = max(time.perf_counter() - began, 1e-9)
    typer.echo(
        f"live: {count:,} requests in {elapsed:.1f} s; exported {exported.spans_ok:,} spans "
        f"({exported.spans_ok / elapsed:,.0f}/s) and {exported.logs_ok:,} logs; "
        f"failed exports: {exported.spans_failed} spans, {exported.logs_failed} logs"
    )
    if exported.spans_failed or exported.logs_failed:
        raise typer.Exit(1)


def _describe(s: Scenario) -> str:
    what = {
        "outage": f"{s.share:.0%} of requests answer 503",
        "latency": f"latency x{s.factor:g}",
        "deploy": f"version {s.version or 'next minor'}",
    }[s.kind]
    window = " ".join(
        part
        for part in (
            f"from {_utc(s.start_ns)}" if s.start_ns > 0 else "",
            f"until {_utc(s.end_ns)}" if s.end_ns is not None else "",
        )
        if part
    )
    return f"{s.kind} {s.app}: {what} ({window})"


def _utc(t_ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t_ns / _S))
