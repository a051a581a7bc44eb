"""``vigie demo``: the whole pipeline on the embedded engine, from an empty machine.

It starts the service in this process (the process that holds the chdb data directory), sends
back-dated history and then live traffic with an outage through the real OTLP/HTTP receiver using
``vigie loadgen`` in a subprocess, shows telemetry arriving, and evaluates every SLO. The demo
works in its own database (``--database``, recreated on each run) so that runs do not pile up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import typer
from fastapi import FastAPI

from vigie.cli import settings_of
from vigie.store import Store

_ARRIVALS = """
SELECT ServiceName, count() AS spans, countIf(StatusCode = 'Error') AS errors
FROM otel_traces
WHERE SpanKind = 'Server' AND Timestamp >= now64(9) - INTERVAL {seconds:UInt32} SECOND
GROUP BY ServiceName ORDER BY ServiceName
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
    """Run the service, send history and live traffic with an outage, evaluate the SLOs."""
    from vigie.api.app import create_app
    from vigie.cli.evaluate import render_table
    from vigie.config import load_config
    from vigie.observability import configure_logging
    from vigie.slo.catalog import targets_from_files
    from vigie.slo.evaluator import evaluate
    from vigie.store import connect
    from vigie.store.migrations import migrate

    settings = settings_of(ctx).model_copy(update={"clickhouse_database": database})
    configure_logging("WARNING")
    config = load_config(settings.config_dir)
    store = connect(settings)
    store.command(f"DROP DATABASE IF EXISTS `{store.database}`")
    store = connect(settings)
    migrate(store, settings)
    endpoint = f"http://127.0.0.1:{port}"
    _step(f"Vigie serving on {endpoint} (store {store!r})")
    app = create_app(settings, store, environ=os.environ, migrate_on_start=False)
    server = BackgroundServer(app, port)
    try:
        _step(f"1/3 back-dated history: {history_days:g} days of the sample apps")
        _loadgen(
            endpoint,
            "--history-days",
            str(history_days),
            "--history-rate",
            str(history_rate),
            "--seed",
            "7",
        )
        _step(f"2/3 live traffic for {live_seconds:g} s; {outage} fails from half-way")
        live = subprocess.Popen(
            _loadgen_argv(
                endpoint,
                "--duration",
                str(live_seconds),
                "--rate",
                str(rate),
                "--scenario",
                f"outage:{outage}",
                "--seed",
                "11",
            )
        )
        while live.poll() is None:
            time.sleep(5)
            _print_arrivals(store)
        if live.returncode:
            raise typer.Exit(live.returncode)
        server.app.state.write_queue.flush()
        _step("3/3 SLO evaluation (multiwindow, multi-burn-rate)")
        # The engine counts whole minutes of the per-minute rollup: wait for this one to close.
        time.sleep(61 - datetime.now(UTC).second)
        result = evaluate(store, targets_from_files(config.slo_files), datetime.now(UTC))
        typer.echo(render_table(result))
    finally:
        server.stop()


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
                raise typer.Exit(1)
            time.sleep(0.05)

    def stop(self) -> None:
        """Graceful: the app's lifespan flushes the write queue before the thread ends."""
        self._server.should_exit = True
        self._thread.join(60)
