"""End to end: spans written into ``otel_traces`` → SLO evaluation → incidents → notices.

The SLO engine's synthetic traffic (:func:`vigie.slo.synthetic.insert_traffic`) writes three days
of good traffic, a one-minute total outage at T0, good traffic for ten more minutes, then nothing.
At 99.9% over 30 days that outage pages on the 1h/5m pair only (the 1h window burns 16.7 times,
every slower pair stays under its factor) until the 5-minute window has left it.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from incident_builders import CAPTAINS, RecordingDelivery, config
from typer.testing import CliRunner

from vigie.cli import evaluate as evaluate_cli
from vigie.config.slo import SloFile
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.incidents.store import EVENTS
from vigie.notify.notice import ADMINS
from vigie.settings import Settings, load_settings
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

REPO = Path(__file__).resolve().parents[2]
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
TICK = timedelta(seconds=30)
RATE = 10  # requests per minute
TARGETS = targets_from_files(
    [
        SloFile.model_validate(
            {
                "app": "shop",
                "club": "alpha",
                "slos": [{"name": "avail", "objective": 99.9, "sli": {"kind": "availability"}}],
            }
        )
    ]
)


def traffic(db: Store) -> None:
    insert_traffic(
        db,
        service="shop",
        start=T0 - timedelta(days=3),
        duration=timedelta(days=3),
        per_minute=RATE,
    )
    insert_traffic(
        db, service="shop", start=T0, duration=timedelta(minutes=1), per_minute=RATE, error_every=1
    )
    insert_traffic(
        db,
        service="shop",
        start=T0 + timedelta(minutes=1),
        duration=timedelta(minutes=10),
        per_minute=RATE,
    )


def test_outage_opens_notifies_and_resolves(db: Store, delivery: RecordingDelivery) -> None:
    traffic(db)
    svc = IncidentService(db, config(), Links("https://v", "https://g"), delivery=delivery)
    timeline: list[tuple[timedelta, str, list[str]]] = []
    for k in range(17):  # T0 … T0 + 8 min
        at = T0 + k * TICK
        out = svc.run_cycle(evaluate(db, TARGETS, at), now=at)
        state = out.incidents[0].state if out.incidents else "-"
        timeline.append((at - T0, state, [e.kind for e in out.events]))
    kinds = [(t, k) for t, _, ks in timeline for k in ks]
    opened = next(t for t, k in kinds if k == "opened")
    resolved = next(t for t, k in kinds if k == "resolved")
    assert opened == timedelta(minutes=1), timeline  # the first evaluation after the bad minute
    assert [k for _, k in kinds] == ["opened", "calm", "calm", "resolved"], timeline
    assert resolved == timedelta(minutes=7)  # 5m window clear at +6 min, then 3 calm evaluations
    sent = [(n.channel, n.kind) for n in delivery.notices]
    assert sorted(sent) == [
        (ADMINS, "open"),
        (ADMINS, "resolve"),
        ("alpha", "open"),
        ("alpha", "resolve"),
    ]
    club_open = next(n for n in delivery.notices if n.channel == "alpha" and n.kind == "open")
    assert club_open.created_at == T0 + timedelta(minutes=1) + TICK  # group_wait 30 s
    assert club_open.mention_user_ids == (CAPTAINS["alpha"],)
    line = club_open.lines[0]
    assert (line.severity, line.burn_window) == ("page", "1h")
    assert line.burn_rate is not None and 14.4 <= line.burn_rate < 20
    # Telemetry stops after T0 + 11 min: past no_data_after, a "telemetry stopped" incident.
    out = svc.run_cycle(
        evaluate(db, TARGETS, T0 + timedelta(minutes=22)), now=T0 + timedelta(minutes=22)
    )
    assert [(e.kind, e.slo, e.severity) for e in out.events] == [
        ("opened", "(telemetry)", "no_data")
    ]


def test_vigie_evaluate_runs_the_incident_stages(db: Store, settings: Settings) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, settings.config_dir / part)
    at = T0 + timedelta(minutes=5)
    insert_traffic(
        db, service="forge", start=at - timedelta(hours=2), duration=timedelta(hours=2),
        per_minute=30, error_every=10, route="/api/v1/repos/{owner}/{repo}",
    )  # fmt: skip
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = load_settings()

    app.command("evaluate")(evaluate_cli.evaluate_command)
    runner = CliRunner()
    dry = runner.invoke(app, ["evaluate", "--at", at.isoformat(), "--json", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    items = [json.loads(line) for line in dry.output.splitlines()]
    events = [i for i in items if i.get("type") == "event"]
    opened = {
        (e["club"], e["app"], e["slo"], e["severity"]) for e in events if e["kind"] == "opened"
    }
    assert ("cedille", "forge", "availability", "page") in opened  # 10% errors
    assert ("cedille", "wiki", "(telemetry)", "no_data") in opened  # no traffic at all
    assert int(db.query(f"SELECT count() FROM {EVENTS}").scalar()) == 0
    real = runner.invoke(app, ["evaluate", "--at", at.isoformat()])
    assert real.exit_code == 0, real.output
    assert "incidents: wrote" in real.output and "opened" in real.output
    written = int(db.query(f"SELECT count() FROM {EVENTS}").scalar())
    assert written == len(events)
    later = runner.invoke(app, ["evaluate", "--at", (at + timedelta(minutes=1)).isoformat()])
    assert later.exit_code == 0, later.output
    outbox = db.query("SELECT DISTINCT key FROM vigie_outbox").rows
    assert len(outbox) >= 2  # admins and cedille heard of the forge's page, through the outbox
