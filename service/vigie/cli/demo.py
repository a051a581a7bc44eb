"""``vigie demo``: the whole pipeline on the embedded engine, from an empty machine.

It starts the service in this process (the process that holds the chdb data directory) with
evaluation left to the demo, and walks through the steps in order:

1. back-dated history through the real OTLP/HTTP receiver (``vigie loadgen`` in a subprocess);
2. a replay of the history's most recent past incident, one evaluation per simulated minute,
   through the incident engine, the Discord delivery and the report drafts, as the service would
   have lived it; then the draft, and the same numbers recomputed from the raw spans;
3. live traffic with an outage, evaluated now: the live page and its notices;
4. where to look next.

The replay comes before the live evaluation because the incident engine applies only
evaluations newer than the latest one applied. The demo works in its own database
(``--database``, recreated on each run) so that runs do not pile up.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import typer
from fastapi import FastAPI

from vigie.cli import settings_of
from vigie.cli.demo_cycles import (
    NOTICE_WAIT,
    REPLAY_FINE,
    Live,
    Replay,
    latest_incident,
    live_evaluation,
    replay,
    utc_time,
)
from vigie.incidents.model import Event
from vigie.loadgen.scenarios import Scenario, past_incidents
from vigie.notify.notice import Notice
from vigie.reports.model import ReportVersion
from vigie.runtime import Runtime
from vigie.store import Store

_ARRIVALS = """
SELECT ServiceName, count() AS spans, countIf(StatusCode = 'Error') AS errors
FROM otel_traces
WHERE SpanKind = 'Server' AND Timestamp >= now64(9) - INTERVAL {seconds:UInt32} SECOND
GROUP BY ServiceName ORDER BY ServiceName
"""

# The check of a draft's numbers, written from the raw spans on purpose without the SLO
# engine's shared SQL fragments: a server span of the app in the draft's window, bad when its
# HTTP status is 5xx (availability) or its duration is above the threshold (latency).
_RECOUNT = """
SELECT count() AS total,
       countIf(if({latency:Bool}, Duration > {threshold_ns:UInt64},
                  toUInt16OrZero(SpanAttributes['http.response.status_code']) >= 500)) AS bad
FROM otel_traces
WHERE ServiceName = {app:String} AND SpanKind = 'Server'
  AND ({env:String} = '' OR ResourceAttributes['deployment.environment.name'] = {env:String})
  AND Timestamp >= {start:DateTime64(9, 'UTC')} AND Timestamp < {end:DateTime64(9, 'UTC')}
"""


def demo(
    ctx: typer.Context,
    port: int = typer.Option(8000, help="Port of the demo's receiver and API (127.0.0.1)."),
    history_days: float = typer.Option(
        30.0, min=0.0, help="Days of back-dated history (a full SLO window makes budgets real)."
    ),
    history_rate: float = typer.Option(
        2.0, min=0.1, help="History requests per minute, all apps (volume, not ratios)."
    ),
    live_seconds: float = typer.Option(60.0, min=10.0, help="Seconds of live traffic."),
    rate: float = typer.Option(40.0, min=1.0, help="Live requests per second, all apps."),
    outage: str = typer.Option(
        "algoets/site-web", help="App (club/app) whose requests fail half-way through."
    ),
    database: str = typer.Option("vigie_demo", help="Database the demo recreates and uses."),
) -> None:
    """Run the service, send history, replay a past incident to its report, then live traffic
    with an outage: SLOs, incidents, Discord notices, post-incident draft."""
    from vigie.observability import configure_logging
    from vigie.server import create_app
    from vigie.store import connect
    from vigie.store.migrations import migrate

    endpoint = f"http://127.0.0.1:{port}"
    settings = settings_of(ctx)
    # The demo's own load generator sends without a token, to 127.0.0.1 only.
    update: dict[str, object] = {"clickhouse_database": database, "ingest_anonymous": True}
    if "public_url" not in settings.model_fields_set:
        update["public_url"] = endpoint  # links in notices and drafts: this demo's port
    settings = settings.model_copy(update=update)
    configure_logging("WARNING")
    # Without webhooks every notice fails to send; the demo shows each notice's outcome itself.
    logging.getLogger("vigie.notify.dispatcher").setLevel(logging.ERROR)
    store = connect(settings)
    store.command(f"DROP DATABASE IF EXISTS `{store.database}`")
    store = connect(settings)
    migrate(store, settings)
    app = create_app(settings, store, environ=os.environ, migrate_on_start=False, schedule=False)
    server = BackgroundServer(app, port)
    try:
        runtime: Runtime = app.state.runtime
        _step(f"Vigie serving on {endpoint} (store {store!r}); the demo drives evaluation")
        _step(f"1/4 back-dated history: {history_days:g} days of the sample apps")
        now_ns = time.time_ns()
        _loadgen(
            endpoint, "--history-days", str(history_days),
            "--history-rate", str(history_rate), "--seed", "7",
        )  # fmt: skip
        runtime.write_queue.flush()
        past = latest_incident(past_incidents(now_ns, history_days))
        if past is None:
            _step("2/4 no past incident in so short a history: nothing to replay")
        else:
            _step(f"2/4 replay of the latest past incident: {_describe(past)}")
            with Ticker("replaying the past minute by minute (about 1 to 2 minutes)"):
                replayed = replay(runtime, past)
            show_replay(runtime, replayed)
        _step(f"3/4 live traffic for {live_seconds:g} s; {outage} fails from half-way")
        _live(store, endpoint, live_seconds, rate, outage)
        runtime.write_queue.flush()
        wait = 61 - datetime.now(UTC).second
        typer.echo(
            f"waiting {wait} s for the rollup's current minute to close, then up to "
            f"{NOTICE_WAIT.seconds} s for the channels' group_wait…"
        )
        with Ticker("evaluating the live traffic"):
            live = live_evaluation(runtime)
        show_live(runtime, live)
        _step("4/4 where to look next")
        typer.echo(_next_steps(database, port, settings.public_url))
    finally:
        server.stop()


def show_replay(runtime: Runtime, done: Replay) -> None:
    typer.echo(
        f"{done.evaluations} evaluations of the past (every minute, then every 5 minutes "
        f"from {REPLAY_FINE.seconds // 60} minutes after the outage); "
        f"{len(done.opened)} incident(s) of {done.scenario.app} opened"
    )
    ours = set(done.opened)
    _show_events([e for e in done.events if e.incident_id in ours])
    if done.others:
        typer.echo(
            "  other apps, same hours (at a few requests a minute, gaps and single errors count):"
        )
        for e in done.others:
            typer.echo(
                f"  {_hm(e.at)}  {e.incident_id} opened {e.club}/{e.app} {e.slo} {e.severity}"
            )
    _show_notices(runtime, [n for n in done.notices if {x.incident_id for x in n.lines} & ours])
    from vigie.reports.render import render_markdown

    for version in (v for v in done.reports if v.incident_id in ours):
        typer.secho(f"\n-- post-incident draft of {version.incident_id} (Markdown)", bold=True)
        typer.echo(render_markdown(version), nl=False)
        typer.echo(recount(runtime.store, version, done.scenario))


def recount(store: Store, version: ReportVersion, scenario: Scenario) -> str:
    """The draft's numbers next to the same count made from the raw spans, and the window
    next to the outage the history generator wrote (the ground truth)."""
    facts = version.facts
    slo = facts.incident.slos[0]
    latency = slo.sli == "latency" and slo.threshold_ms is not None
    total, bad = store.query(
        _RECOUNT,
        {
            "app": facts.incident.app,
            "env": facts.incident.environment,
            "latency": latency,
            "threshold_ns": int((slo.threshold_ms or 0) * 1_000_000),
            "start": _param(facts.impact_start),
            "end": _param(facts.impact_end),
        },
    ).rows[0]
    agree = "agree" if (int(bad), int(total)) == (facts.failed, facts.total) else "DISAGREE"
    truth = f"{_hm(utc_time(scenario.start_ns))} to {_hm(utc_time(scenario.end_ns or 0))}"
    return (
        f"check: the draft counts {facts.failed} bad of {facts.total} requests from "
        f"{_hm(facts.impact_start)} to {_hm(facts.impact_end)}; the raw spans of that window "
        f"say {bad} of {total}: they {agree}. The generator wrote the outage from {truth}."
    )


def _param(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- step 3: live -------------------------------------------------------------------------


def _live(store: Store, endpoint: str, seconds: float, rate: float, outage: str) -> None:
    live = subprocess.Popen(
        _loadgen_argv(
            endpoint, "--duration", str(seconds), "--rate", str(rate),
            "--scenario", f"outage:{outage}", "--seed", "11",
        )
    )  # fmt: skip
    try:
        while live.poll() is None:
            time.sleep(5)
            _print_arrivals(store)
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()
    if live.returncode:
        raise typer.Exit(live.returncode)


def show_live(runtime: Runtime, live: Live) -> None:
    from vigie.cli.evaluate import render_table

    evaluation = runtime.evaluator.latest
    if evaluation is not None:
        typer.echo(render_table(evaluation))
    _show_events(live.events)
    _show_notices(runtime, live.notices)


# --- showing events and notices ------------------------------------------------------------


def _show_events(events: Sequence[Event]) -> None:
    typer.secho("\nincident timeline", bold=True)
    shown = [e for e in events if e.kind != "calm"]
    calm = len(events) - len(shown)
    for e in shown:
        where = "/".join(p for p in (e.club, e.app, e.environment, e.slo) if p)
        typer.echo(f"  {_hm(e.at)}  {e.incident_id} {e.kind:<9} {where} {e.severity}: {e.reason}")
    if calm:
        typer.echo(f"  (and {calm} 'calm' evaluation(s) counted towards resolving)")
    if not events:
        typer.echo("  no incident event")


def _show_notices(runtime: Runtime, notices: Sequence[Notice]) -> None:
    from vigie.notify.render import render_message

    typer.secho("\nDiscord notices", bold=True)
    runtime.delivery.drain(15)
    states = runtime.delivery.outbox.states([n.key for n in notices])
    names = {club.id: club.name for club in runtime.config.alerts.clubs}
    for n in notices:
        payload = render_message(n, club_names=names)
        embeds = payload.get("embeds") or [{}]
        state = states.get(n.key, "pending")
        typer.echo(
            f"  → {n.channel} ({n.locale}) {n.kind}, {state}: {_one_line(payload['content'])}"
        )
        if embeds[0]:
            more = f" (+{len(embeds) - 1} more)" if len(embeds) > 1 else ""
            typer.echo(
                f"      {_one_line(embeds[0].get('title', ''))} — "
                f"{_one_line(embeds[0].get('description', ''))}{more}"
            )
    if not notices:
        typer.echo("  none")
    elif "sent" not in states.values():
        typer.echo(
            "  (none posted: without Discord webhooks — VIGIE_DISCORD_ADMIN, "
            "VIGIE_DISCORD_<CLUB> — notices fail; with them, live notices are posted, and a "
            "replay's, older than 6 hours, never are)"
        )


def _one_line(text: str, limit: int = 110) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _hm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _describe(s: Scenario) -> str:
    what = f"{s.share:.0%} of requests fail" if s.kind == "outage" else f"latency x{s.factor:g}"
    window = f"{_hm(utc_time(s.start_ns))} to {_hm(utc_time(s.end_ns or 0))}"
    return f"{s.kind} of {s.app}, {what}, {window}"


def vigie_command() -> str:
    """How the reader runs ``vigie`` from here: ``vigie`` when it is on the PATH, else the
    script beside this Python (``.venv/bin/vigie`` for whoever followed the README)."""
    found = shutil.which("vigie")
    script = Path(sys.executable).parent / "vigie"
    if found and Path(found).resolve() == script.resolve():
        return "vigie"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _next_steps(database: str, port: int, public_url: str) -> str:
    vigie = vigie_command()
    env = f"VIGIE_CLICKHOUSE_DATABASE={database}"
    serve_env = f"{env} VIGIE_PUBLIC_URL={public_url}" if port != 8000 else env
    rows = [
        (f"{env} {vigie} token create --admin", "a token for the pages and the API (once)"),
        (f"{serve_env} {vigie} serve --port {port}", "the service, evaluating on its schedule"),
        (f"http://127.0.0.1:{port}/incidents", "incident pages, report drafts to fill in"),
        (f"{env} {vigie} report <incident-id>", "a report as Markdown (serve stopped)"),
        (f"{vigie} dashboards build", "Grafana dashboards of every app, in dashboards/"),
    ]
    width = max(len(command) for command, _ in rows)
    lines = [f"The demo's server has stopped; its data stays in the database {database}:"]
    return "\n".join([*lines, *(f"  {c:<{width}}  {why}" for c, why in rows)])


# --- plumbing -------------------------------------------------------------------------------


def _step(text: str) -> None:
    typer.secho(f"\n== {text}", bold=True)


def _loadgen_argv(endpoint: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "vigie.cli", "loadgen", "--endpoint", endpoint, *args]


def _loadgen(endpoint: str, *args: str) -> None:
    done = subprocess.run(_loadgen_argv(endpoint, *args), check=False)
    if done.returncode:
        raise typer.Exit(done.returncode)


def _print_arrivals(store: Store) -> None:
    rows = store.query(_ARRIVALS, {"seconds": 10}).rows
    summary = ", ".join(f"{name} {spans} ({errors} err)" for name, spans, errors in rows)
    typer.echo(f"last 10 s, server spans stored: {summary or 'none yet'}")


class Ticker:
    """Prints how long a silent step has been running, every :attr:`every` seconds."""

    every = 10.0

    def __init__(self, what: str) -> None:
        self.what = what
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-ticker", daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._done.wait(self.every):
            typer.echo(f"  … {self.what}: {time.monotonic() - started:.0f} s")

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


class BackgroundServer:
    """uvicorn serving ``app`` on 127.0.0.1 from a thread of this process."""

    def __init__(self, app: FastAPI, port: int) -> None:
        import uvicorn

        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="vigie-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                typer.echo(f"vigie: the demo's server did not start on port {port}", err=True)
                raise typer.Exit(1)
            time.sleep(0.05)

    def stop(self) -> None:
        """Graceful: the app's lifespan flushes the write queue before the thread ends."""
        self._server.should_exit = True
        self._thread.join(60)
