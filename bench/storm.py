"""Benchmark: an alert storm through the incident engine and the Discord delivery.

    .venv/bin/python bench/storm.py [--dir /tmp/vigie-storm] [--limit 5] [--period 2]

60 apps of 10 clubs start failing within one minute (three waves, at the evaluations of t0,
t0 + 30 s and t0 + 60 s). Each evaluation runs one incident cycle (:mod:`vigie.incidents`:
grouping, platform inhibition) whose notices go through :class:`vigie.notify.Delivery` to a
fake Discord on loopback that enforces 5 requests per 2 s per webhook (429 beyond, with the
``X-RateLimit-*`` headers) and rejects any message over Discord's size limits.

The engine runs on a virtual clock (cycles 30 s apart, the default evaluation interval, without
waiting for them); delivery runs in real time. "Told after" for a channel is the virtual time
from the evaluation that opened the first incidents to the cycle that submitted its first
notice (``group_wait`` lives there), plus the real time until Discord accepted that notice.

Scenarios, run in the same process:

* ``storm`` — default policy (platform_incident_share 0.3): one platform incident;
* ``grouped`` — platform inhibition off (share 1.0): every incident announced, grouped per
  channel (the admins' notices carry up to 60 incidents);
* ``baseline`` — no grouping at all: one message per incident per channel, straight to the
  delivery, for comparison.

Targets (storm): <= 2 messages to admins and <= 1 per club for the opening, every channel told
within 45 s of the opening evaluation, 0 lost, 0 rejected for size.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.* helpers

from tests.fakes.discord import FakeDiscord, Webhook
from tests.incidents.incident_builders import evaluation, target

from vigie.config import AlertsConfig, Config
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.notify.discord import WebhookClient
from vigie.notify.dispatcher import Delivery
from vigie.notify.notice import ADMINS, IncidentLine, Notice
from vigie.settings import load_settings
from vigie.slo.catalog import SloTarget
from vigie.store import Store, connect
from vigie.store.migrations import migrate

CLUBS = 10
APPS_PER_CLUB = 6
STEP = timedelta(seconds=30)
WAVES = 3
TARGET_TOLD_S = 45.0


@dataclass
class Result:
    name: str
    posts: dict[str, int]
    told_s: dict[str, float]
    throttled: int
    rejected: int
    submitted: int
    lost: int
    wall_s: float
    last_s: float  # virtual offset of the last submission + real time to its channel's last post
    sample: dict[str, object]  # the admins' first message

    def print(self) -> None:
        admins = self.posts.get(ADMINS, 0)
        clubs = [v for k, v in self.posts.items() if k != ADMINS]
        slowest = max(self.told_s.values()) if self.told_s else float("nan")
        print(f"[{self.name}]")
        print(
            f"  messages: admins {admins}, per club max {max(clubs, default=0)} "
            f"(total {sum(self.posts.values())}; {self.submitted} notices submitted)"
        )
        print(
            f"  every channel told after {slowest:.1f} s, every message delivered after "
            f"{self.last_s:.1f} s (first message per channel: "
            + ", ".join(f"{k} {v:.1f}" for k, v in sorted(self.told_s.items()))
            + ")"
        )
        print(
            f"  429s received {self.throttled}, lost {self.lost}, rejected for size "
            f"{self.rejected}, delivery wall time {self.wall_s:.1f} s"
        )


def alerts_for(
    discord: FakeDiscord, share: float
) -> tuple[AlertsConfig, dict[str, str], dict[str, Webhook]]:
    hooks = {ADMINS: discord.webhook()}
    environ = {"STORM_ADMINS": discord.url(hooks[ADMINS])}
    clubs = []
    for c in range(CLUBS):
        cid = f"club{c}"
        hooks[cid] = discord.webhook()
        environ[f"STORM_{cid.upper()}"] = discord.url(hooks[cid])
        clubs.append(
            {
                "id": cid,
                "name": f"Club {c}",
                "locale": "fr" if c % 3 else "en",
                "webhook": {"env": f"STORM_{cid.upper()}"},
                "captains": [f"{200000000000000000 + c}"],
            }
        )
    alerts = AlertsConfig.model_validate(
        {
            "admins": {"webhook": {"env": "STORM_ADMINS"}, "users": ["300000000000000001"]},
            "policy": {"platform_incident_share": share},
            "clubs": clubs,
        }
    )
    return alerts, environ, hooks


def waves(seed: int) -> list[list[SloTarget]]:
    """The apps in the order they start failing, in three waves within one minute."""
    apps = [target(f"club{c}", f"app{c}-{a}") for c in range(CLUBS) for a in range(APPS_PER_CLUB)]
    random.Random(seed).shuffle(apps)
    size = len(apps) // WAVES
    return [apps[i * size : (i + 1) * size] for i in range(WAVES)]


class Tracker:
    """Wraps the delivery: remembers when (virtual offset, real time) each notice was submitted."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.offset_s = 0.0
        self.first: dict[str, tuple[float, float]] = {}  # channel → (virtual offset, monotonic)
        self.last: dict[str, tuple[float, float]] = {}
        self.keys: list[str] = []

    def submit(self, notices: list[Notice]) -> None:
        for n in notices:
            self.first.setdefault(n.channel, (self.offset_s, time.monotonic()))
            self.last[n.channel] = (self.offset_s, time.monotonic())
            self.keys.append(n.key)
        self.delivery.submit(notices)


def result(name: str, tracker: Tracker, hooks: dict[str, Webhook], started: float) -> Result:
    done = tracker.delivery.drain(300)
    wall = time.monotonic() - started
    states = tracker.delivery.outbox.states(tracker.keys)
    told = {}
    for channel, (offset, submitted) in tracker.first.items():
        times = hooks[channel].times
        told[channel] = offset + (times[0] - submitted if times else float("inf"))
    last = max(
        (offset + hooks[c].times[-1] - submitted if hooks[c].times else float("inf"))
        for c, (offset, submitted) in tracker.last.items()
    )
    return Result(
        name,
        {c: len(h.posts) for c, h in hooks.items() if h.posts},
        told,
        sum(h.throttled for h in hooks.values()),
        sum(len(h.rejected) for h in hooks.values()),
        len(tracker.keys),
        sum(1 for k in tracker.keys if states.get(k) != "sent") + (0 if done else 1),
        wall,
        last,
        hooks[ADMINS].posts[0] if hooks[ADMINS].posts else {},
    )


def run_engine(store: Store, discord: FakeDiscord, name: str, share: float, seed: int) -> Result:
    alerts, environ, hooks = alerts_for(discord, share)
    delivery = Delivery(store, alerts, environ, WebhookClient())
    tracker = Tracker(delivery)
    t0 = datetime.now(UTC).replace(microsecond=0)
    service = IncidentService(
        store,
        Config(alerts, ()),
        Links("https://vigie.example", "https://grafana.example"),
        delivery=tracker,
    )
    failing: dict[SloTarget, str] = {}
    all_apps = [t for wave in waves(seed) for t in wave]
    started = time.monotonic()
    for step, wave in enumerate([*waves(seed), [], []]):  # 3 waves, then 2 quiet evaluations
        failing.update({t: "page" for t in wave})
        states = {t: failing.get(t, "ok") for t in all_apps}
        now = t0 + step * STEP
        tracker.offset_s = (now - t0).total_seconds()
        service.run_cycle(evaluation(now, states), now=now)
    out = result(name, tracker, hooks, started)
    delivery.stop()
    return out


def line_for(t: SloTarget, since: datetime, n: int) -> IncidentLine:
    return IncidentLine(
        incident_id=f"INC-{n:04d}",
        club=t.club,
        app=t.app,
        slo=t.slo.name,
        severity="page",
        state="open",
        objective=99.9,
        window="30d",
        burn_rate=28.8,
        burn_window="1h",
        budget_remaining=0.9,
        since=since,
        resolved_at=None,
        dashboard_url=f"https://grafana.example/d/vigie-app?var-app={t.app}",
        incident_url=f"https://vigie.example/incidents/INC-{n:04d}",
        summary="HTTP 500 on POST /api/orders: upstream connect error @everyone",
    )


def run_baseline(store: Store, discord: FakeDiscord, seed: int) -> Result:
    """One message per incident per channel (no grouping, no inhibition)."""
    alerts, environ, hooks = alerts_for(discord, 1.0)
    delivery = Delivery(store, alerts, environ, WebhookClient())
    tracker = Tracker(delivery)
    t0 = datetime.now(UTC)
    started = time.monotonic()
    n = 0
    for step, wave in enumerate(waves(seed)):
        tracker.offset_s = (step * STEP).total_seconds()
        notices = []
        for t in wave:
            n += 1
            line = line_for(t, t0 + step * STEP, n)
            base = Notice(
                key=f"base-{n}-{ADMINS}",
                channel=ADMINS,
                locale="fr",
                kind="open",
                lines=(line,),
                created_at=t0 + step * STEP,
            )
            notices += [
                base,
                replace(
                    base,
                    key=f"base-{n}-{t.club}",
                    channel=t.club,
                    mention_user_ids=(alerts.club(t.club).captains[0],),
                ),
            ]
        tracker.submit(notices)
    out = result("baseline", tracker, hooks, started)
    delivery.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=None, help="chdb directory (default: a temporary one)")
    parser.add_argument("--limit", type=int, default=5, help="requests per window per webhook")
    parser.add_argument("--period", type=float, default=2.0, help="rate-limit window, seconds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", action="store_true", help="print the admins' first messages")
    args = parser.parse_args()
    data_dir = args.dir or tempfile.mkdtemp(prefix="vigie-storm-")
    settings = load_settings(clickhouse_dsn=f"chdb://{data_dir}", clickhouse_database="storm")
    results = []
    for name, share in (("storm", 0.3), ("grouped", 1.0), ("baseline", None)):
        store = connect(settings, database=f"storm_{name}")
        migrate(store, settings)
        with FakeDiscord(limit=args.limit, period_s=args.period) as discord:
            if share is None:
                results.append(run_baseline(store, discord, args.seed))
            else:
                results.append(run_engine(store, discord, name, share, args.seed))
    for r in results:
        r.print()
        if args.show:
            print(json.dumps(r.sample, ensure_ascii=False, indent=1))
    storm = results[0]
    clubs_max = max((v for k, v in storm.posts.items() if k != ADMINS), default=0)
    told = max(storm.told_s.values(), default=float("inf"))
    told_all = len(storm.told_s) == CLUBS + 1
    checks = {
        "admins <= 2 messages": storm.posts.get(ADMINS, 0) <= 2,
        "each club <= 1 message": clubs_max <= 1,
        f"every channel told within {TARGET_TOLD_S:.0f} s": told_all and told <= TARGET_TOLD_S,
        "0 lost": storm.lost == 0 and all(r.lost == 0 for r in results),
        "0 rejected for size": all(r.rejected == 0 for r in results),
    }
    baseline = results[-1]
    print(
        f"messages vs baseline: {sum(storm.posts.values())} / {sum(baseline.posts.values())}; "
        f"slowest channel told: {told:.1f} s / {max(baseline.told_s.values()):.1f} s"
    )
    for check, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
