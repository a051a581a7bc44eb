"""Plain-data builders shared by the incident tests: clubs, SLO targets, verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.config import AlertsConfig, Config
from vigie.config.slo import Slo
from vigie.incidents.inhibit import platform_condition
from vigie.incidents.liveness import Liveness
from vigie.incidents.model import Event, Incident
from vigie.incidents.state import fold, signals, transition
from vigie.notify.notice import Notice
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import Decision, PairVerdict
from vigie.slo.evaluator import Evaluation, SloStatus
from vigie.slo.windows import PAIRS

# Yesterday at 15:00 UTC (10:00 or 11:00 in Montréal: outside quiet hours), recent like the
# data a live store holds.
T0 = (datetime.now(UTC) - timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
CAPTAINS = {
    "alpha": "100000000000000001",
    "beta": "100000000000000002",
    "gamma": "100000000000000003",
}
ADMIN_USER = "300000000000000001"


def alerts(policy: Mapping[str, Any] | None = None, **clubs: Mapping[str, Any]) -> AlertsConfig:
    """Three clubs (alpha fr, beta fr, gamma en), each with one captain; overrides per club."""
    return AlertsConfig.model_validate(
        {
            "admins": {"webhook": {"env": "VIGIE_TEST_ADMIN"}, "users": [ADMIN_USER]},
            "policy": dict(policy or {}),
            "clubs": [
                {
                    "id": cid,
                    "name": cid.title(),
                    "locale": "en" if cid == "gamma" else "fr",
                    "webhook": {"env": f"VIGIE_TEST_{cid.upper()}"},
                    "captains": [captain],
                    **clubs.get(cid, {}),
                }
                for cid, captain in CAPTAINS.items()
            ],
        }
    )


def config(alerts_config: AlertsConfig | None = None) -> Config:
    return Config(alerts_config or alerts(), ())


def target(
    club: str, app: str, slo: str = "availability", environment: str | None = None
) -> SloTarget:
    model = Slo.model_validate({"name": slo, "objective": 99.9, "sli": {"kind": "availability"}})
    return SloTarget(club=club, app=app, environment=environment, slo=model)


def decision(state: str) -> Decision:
    """A verdict in ``state``; a firing one has its pair fired with burn rates over the factor
    and errors going on (the recent SLI, 5m, burns at 2). ``"page/past"``, ``"ticket/past"``:
    the pairs fire on a past outage while the recent SLI is back within objective (burn 0.1;
    the 1h/5m page pair cannot fire then)."""
    past = state.endswith("/past")
    state = state.removesuffix("/past")
    verdicts = []
    for pair in PAIRS:
        factor = pair.factor(timedelta(days=30))
        fired = state == pair.severity and not (past and pair.short == "5m")
        burn = factor * 2 if fired else 0.1
        verdicts.append(PairVerdict(pair, factor, burn, burn, fired))
    burns = {w: 0.1 for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")}
    for v in verdicts:
        if v.fired:
            burns[v.pair.long] = burns[v.pair.short] = v.long_burn
    if state in ("page", "ticket"):
        burns["5m"] = 0.1 if past else max(burns["5m"] or 0.0, 2.0)
    return Decision(state, f"{state} verdict", burns, 0.5, 10_000, 100, tuple(verdicts))  # type: ignore[arg-type]


def status(t: SloTarget, state: str, at: datetime) -> SloStatus:
    return SloStatus(t, at, decision(state), at - timedelta(seconds=30))


def evaluation(at: datetime, states: Mapping[SloTarget, str]) -> Evaluation:
    return Evaluation(at, tuple(status(t, s, at) for t, s in states.items()), 0.0)


def liveness(
    at: datetime, states: Mapping[SloTarget, str], no_data_is_dead: bool = True
) -> dict[str, Liveness]:
    """The liveness verdict of each app of ``states`` (see :func:`replay`)."""
    by_app: dict[str, set[str]] = {}
    for t, state in states.items():
        by_app.setdefault(t.app, set()).add(state)
    silent = at - timedelta(minutes=10)
    return {
        app: Liveness(app, silent, True, "dead verdict", (60,))
        if no_data_is_dead and found == {"no_data"}
        else Liveness(app, None, False, "receives requests")
        for app, found in by_app.items()
    }


def replay(
    steps: Iterable[tuple[datetime, Mapping[SloTarget, str]]],
    alerts_config: AlertsConfig | None = None,
    *,
    no_data_is_dead: bool = True,
) -> tuple[list[Event], dict[str, Incident]]:
    """The events of a sequence of evaluations, through the pure stages only. An app whose
    every SLO is ``no_data`` is dead (its liveness verdict), unless ``no_data_is_dead`` is
    false (every app then has no traffic history: never dead, as on an empty store)."""
    cfg = alerts_config or alerts()
    events: list[Event] = []
    for at, states in steps:
        ev = evaluation(at, states)
        live = liveness(at, states, no_data_is_dead)
        dead = {app for app, verdict in live.items() if verdict.dead}
        platform = platform_condition(ev.statuses, cfg.policy.platform_incident_share, dead)
        sig = signals(ev.statuses, platform, live)
        events += transition(
            fold(events).values(), sig, lambda c: cfg.policy_for(c) if c else cfg.policy, at, at
        )
    return events, fold(events)


class RecordingDelivery:
    """Stands in for :class:`vigie.notify.dispatcher.Delivery`: keeps what it is given, and
    ignores a key it already has (the outbox's contract)."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.calls = 0

    def submit(self, notices: Sequence[Notice]) -> None:
        self.calls += 1
        known = {n.key for n in self.notices}
        self.notices += [n for n in notices if n.key not in known]
