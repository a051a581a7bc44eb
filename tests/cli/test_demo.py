"""``vigie demo`` end to end, as the README runs it, with a short history and live phase.

The demo runs in a subprocess: it holds its own chdb data directory (one per process) and
serves on a free port, from a directory holding copies of the sample ``slo/`` and ``alerts/``.
It takes about two minutes: four days of history, the replay of the site-web outage of three
days ago until it resolves, ten seconds of live traffic, and up to a minute waiting for the
rollup's minute to close and the channels' ``group_wait``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from vigie.cli.demo_cycles import latest_incident
from vigie.loadgen.scenarios import past_incidents

REPO = Path(__file__).resolve().parents[2]
NOW_NS = time.time_ns()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _section(output: str, start: str, end: str) -> str:
    return output[output.index(start) : output.index(end)]


def test_the_replayed_incident_is_the_latest_outage_of_the_history() -> None:
    latest = latest_incident(past_incidents(NOW_NS, 30))
    assert latest is not None
    assert (latest.kind, latest.app) == ("outage", "algoets/site-web")
    assert latest_incident(past_incidents(NOW_NS, 1)) is None  # the history's are older


def test_demo_replays_a_past_incident_to_its_draft_then_pages_live(tmp_path: Path) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, tmp_path / part)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env |= {"VIGIE_CLICKHOUSE_DSN": f"chdb://{tmp_path / 'data'}", "VIGIE_CONFIG_DIR": "."}
    port = _free_port()
    argv = [sys.executable, "-m", "vigie.cli", "demo", "--port", str(port)]
    argv += ["--history-days", "4", "--live-seconds", "10", "--database", "demo_test"]
    done = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400, check=False
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr

    replayed = _section(out, "== 2/4 replay", "== 3/4")
    opened = re.search(r"(INC-\w+) opened +algoets/site-web/prod/availability", replayed)
    assert opened, replayed
    incident = opened.group(1)
    assert re.search(rf"{incident} resolved +algoets/site-web", replayed), replayed
    assert re.search(r"→ algoets \(fr\) open, failed: .*AlgoÉTS", replayed), replayed
    assert re.search(r"→ algoets \(fr\) report_ready", replayed), replayed
    draft = replayed[replayed.index(f"-- post-incident draft of {incident}") :]
    for heading in (f"# Post-mortem : site-web — disponibilité ({incident})", "## Faits"):
        assert heading in draft, draft
    for heading in ("### Déroulement", "## À compléter", "### ✍ Cause racine"):
        assert heading in draft, draft
    check = re.search(r"check: the draft counts (\d+) bad of (\d+) .* say (\d+) of (\d+)", draft)
    assert check and check.group(1, 2) == check.group(3, 4), draft
    assert int(check.group(1)) > 0 and "they agree" in draft

    live = _section(out, "== 3/4", "== 4/4")
    assert re.search(r"site-web/prod +availability .* page ", live), live  # the SLO table
    assert re.search(r"INC-\w+ opened +algoets/site-web/prod/availability page", live), live
    assert re.search(r"→ algoets \(fr\) open, failed: .*AlgoÉTS", live), live
    # links in the draft use the demo's port, not the default 8000
    assert f"](http://127.0.0.1:{port}/incidents/{incident})" in draft, draft
    assert re.search(r"waiting \d+ s for the rollup's current minute to close", live), live

    # "where to look next": commands that run as printed, for someone who followed the README
    after = out[out.index("== 4/4") :]
    serve = next(line for line in after.splitlines() if " serve --port " in line)
    assert f"VIGIE_PUBLIC_URL=http://127.0.0.1:{port}" in serve
    command = serve.split()[2]  # after the two VAR=value
    runnable = shutil.which(command) if command == "vigie" else str(tmp_path / command)
    assert command.endswith("vigie") and runnable and os.access(runnable, os.X_OK), serve


def test_ticker_tells_how_long_a_silent_step_runs(capsys: object) -> None:
    import threading

    from vigie.cli.demo import Ticker

    ticked = threading.Event()
    Ticker.every = 0.01
    try:
        with Ticker("replaying"):
            ticked.wait(0.2)
    finally:
        Ticker.every = 10.0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "  … replaying: 0 s" in out


def test_readme_says_how_much_history_the_demo_sends() -> None:
    import inspect

    from vigie.cli.demo import demo

    said = re.search(r"sends (\d+) days of back-dated telemetry", (REPO / "README.md").read_text())
    default = inspect.signature(demo).parameters["history_days"].default.default
    assert said is not None and float(said.group(1)) == default
