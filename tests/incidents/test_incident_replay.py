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
from zoneinfo import ZoneInfo

import typer
from incident_builders import CAPTAINS, RecordingDelivery, config
from typer.testing import CliRunner

from vigie.cli import evaluate as evaluate_cli
from vigie.config.slo import SloFile
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.incidents.store import EVENTS
from vigie.notify.notice import ADMINS
from vigie.notify.render import render_message
from vigie.reports.service import ReportService
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
    # Requests stop after T0 + 11 min; at 10 a minute on each of the 3 days before, this
    # silence is no chance: the app is dead, a page to its captain (and the admins).
    out = svc.run_cycle(
        evaluate(db, TARGETS, T0 + timedelta(minutes=22)), now=T0 + timedelta(minutes=22)
    )
    assert [(e.kind, e.slo, e.severity) for e in out.events] == [("opened", "(silent)", "page")]
    out = svc.run_cycle(
        evaluate(db, TARGETS, T0 + timedelta(minutes=23)), now=T0 + timedelta(minutes=23)
    )
    dead = next(n for n in out.notices if n.channel == "alpha")
    assert dead.mention_user_ids == (CAPTAINS["alpha"],)
    assert dead.lines[0].silent_since == T0 + timedelta(minutes=11)
    text = render_message(dead, club_names={"alpha": "Alpha"}, mentions=dead.mention_user_ids)
    local = (T0 + timedelta(minutes=11)).astimezone(ZoneInfo("America/Montreal"))
    assert f"shop ne reçoit plus aucune requête depuis {local:%H:%M}" in json.dumps(
        text, ensure_ascii=False
    )


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
    # wiki never had a request: its silence is no news (and no "(telemetry)" incident any more)
    assert not [e for e in events if e["app"] == "wiki"]
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


# --- the replay suite's targets (60 requests a minute, 3 days of healthy history, 99.9 % / 30 d) --

SUITE_RATE = 60
SUITE_TARGETS = targets_from_files(
    [
        SloFile.model_validate(
            {
                "app": "shop",
                "club": "alpha",
                "slos": [
                    {"name": "availability", "objective": 99.9, "sli": {"kind": "availability"}}
                ],
            }
        )
    ]
)


def suite_traffic(db: Store, start: datetime, segments: list[tuple[timedelta, int]]) -> int:
    """Three days of good traffic before ``start``, then each (duration, error_every) segment
    in turn; returns the failed requests injected."""
    insert_traffic(
        db, service="shop", start=start - timedelta(days=3), duration=timedelta(days=3),
        per_minute=SUITE_RATE,
    )  # fmt: skip
    failed, at = 0, start
    for duration, every in segments:
        insert_traffic(
            db, service="shop", start=at, duration=duration, per_minute=SUITE_RATE,
            error_every=every,
        )  # fmt: skip
        count = int(duration.total_seconds() / 60 * SUITE_RATE)
        failed += 0 if every == 0 else -(-count // every)  # the first span of each run fails
        at += duration
    return failed


def run(
    svc: IncidentService, db: Store, instants: list[datetime]
) -> list[tuple[datetime, str, str]]:
    """Evaluate and run one incident cycle at each instant: (instant, event kind, severity)."""
    out = []
    for at in instants:
        cycle = svc.run_cycle(evaluate(db, SUITE_TARGETS, at), now=at)
        out += [(at, e.kind, e.severity) for e in cycle.events]
    return out


def ticks(start: datetime, end: datetime, step: timedelta = TICK) -> list[datetime]:
    return [start + k * step for k in range(int((end - start) / step))]


def test_twelve_minute_outage_is_told_as_twelve_minutes(
    db: Store, delivery: RecordingDelivery
) -> None:
    t0 = T0 - timedelta(hours=8)
    outage = timedelta(minutes=12)
    injected = suite_traffic(db, t0, [(outage, 1), (timedelta(hours=8), 0)])
    assert injected == 720
    svc = IncidentService(db, config(), Links("https://v", "https://g"), delivery=delivery)
    events = run(svc, db, ticks(t0, t0 + timedelta(minutes=25)))
    # Afterwards the 6h/30m page pair fires for 30 min and the 3d/6h ticket pair for 6 h on
    # the past outage: neither reopens it nor opens another incident.
    told = len(delivery.notices)
    later = run(svc, db, ticks(t0 + timedelta(minutes=25), t0 + timedelta(hours=7), TICK * 40))
    assert later == [], [(a - t0, k, s) for a, k, s in later]
    assert len(delivery.notices) == told  # and nobody hears of it again
    opened = next(at for at, kind, _ in events if kind == "opened")
    resolved = next(at for at, kind, _ in events if kind == "resolved")
    theory = 0.001 / 1.0 * timedelta(hours=1) * 14.4  # 52 s
    print(f"\n[replay] 12 min outage: page after {opened - t0} (theory {theory}), "
          f"resolved {resolved - (t0 + outage)} after the errors end")  # fmt: skip
    assert opened - t0 <= theory + TICK + timedelta(minutes=1)
    assert resolved - (t0 + outage) <= timedelta(minutes=10)
    assert [kind for _, kind, _ in events] == ["opened", "calm", "calm", "resolved"]
    # The resolve notices state the outage, not the alert's lifetime.
    resolve = [n for n in delivery.notices if n.kind == "resolve"]
    assert {n.channel for n in resolve} == {ADMINS, "alpha"}
    line = resolve[0].lines[0]
    assert line.outage is not None and abs(line.outage - outage) <= timedelta(minutes=1)
    assert line.failed is not None and abs(line.failed - injected) <= injected // 100
    assert line.residual_burn is not None and line.residual_burn >= 1  # 3d/6h still reads it
    club = next(n for n in resolve if n.channel == "alpha")
    text = render_message(club, club_names={"alpha": "Alpha"})["content"]
    assert "après 12 min" in text and f"{line.failed} requêtes sur" in text, text
    assert "L'alerte est restée ouverte 17 min" in text, text  # opened at +1, resolved at +18
    # The post-incident draft: same impact.
    facts = ReportService(svc).facts(club.lines[0].incident_id)
    assert facts.time_to_resolve is not None
    assert abs(facts.time_to_resolve - outage.total_seconds()) <= 60
    assert abs(facts.failed - injected) <= injected // 100
    assert facts.alert_lifetime is not None and facts.alert_lifetime > facts.time_to_resolve


def test_two_percent_for_two_hours_pages_at_43_minutes(db: Store) -> None:
    t0 = T0 - timedelta(hours=8)
    burn = timedelta(hours=2)
    injected = suite_traffic(db, t0, [(burn, 50), (timedelta(hours=2), 0)])
    svc = IncidentService(db, config(), Links("https://v", "https://g"))
    theory = 0.001 / 0.02 * timedelta(hours=1) * 14.4  # 43.2 min
    events = run(svc, db, ticks(t0 + timedelta(minutes=40), t0 + timedelta(minutes=47)))
    events += run(svc, db, ticks(t0 + timedelta(minutes=47), t0 + burn, TICK * 20))
    events += run(svc, db, ticks(t0 + burn, t0 + burn + timedelta(minutes=15)))
    events += run(svc, db, ticks(t0 + burn + timedelta(minutes=15), t0 + 2 * burn, TICK * 20))
    opened = next(at for at, kind, _ in events if kind == "opened")
    resolved = next(at for at, kind, _ in events if kind == "resolved")
    print(f"\n[replay] 2% for 2 h: page after {opened - t0} (theory {theory}), "
          f"resolved {resolved - (t0 + burn)} after the errors end")  # fmt: skip
    assert abs((opened - t0) - theory) <= TICK + timedelta(minutes=1)
    assert events[0][1:] == ("opened", "page")
    assert resolved - (t0 + burn) <= timedelta(minutes=10)
    assert [kind for _, kind, _ in events if kind in ("opened", "reopened", "resolved")] == [
        "opened",
        "resolved",
    ]
    (incident,) = svc.find(state="resolved", since=t0)
    incident_id = incident.id
    facts = ReportService(svc).facts(incident_id)
    assert facts.time_to_resolve is not None
    assert abs(facts.time_to_resolve - burn.total_seconds()) <= 60
    assert abs(facts.failed - injected) <= max(1, injected // 100)


def test_half_a_budget_for_three_days_tells_nobody(db: Store, delivery: RecordingDelivery) -> None:
    t0 = T0 - timedelta(days=2)  # the three days end at the start of this hour
    suite_traffic(db, t0, [(timedelta(days=3), 2000)])  # 0.05 %: burn 0.5
    svc = IncidentService(db, config(), Links("https://v", "https://g"), delivery=delivery)
    hourly = ticks(t0 + timedelta(hours=1), t0 + timedelta(days=3), timedelta(hours=1))
    assert run(svc, db, hourly) == []
    assert delivery.notices == []
