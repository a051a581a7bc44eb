"""The evaluation side of ``vigie demo``: replaying the past minute by minute, and evaluating
now until the channels have heard of what opened.

Each evaluation goes through every stage of a service cycle — SLO evaluation, incident cycle,
report drafts of what it resolved — on the demo's :class:`~vigie.runtime.Runtime`, whose
scheduler is off. The replay must come before the live evaluation: the incident engine applies
only evaluations newer than the latest one applied.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from vigie.incidents.model import Event
from vigie.incidents.pipeline import CycleOutcome
from vigie.loadgen.scenarios import Scenario
from vigie.notify.notice import Notice, NoticeSink
from vigie.reports.model import ReportVersion
from vigie.runtime import Runtime

_MINUTE = timedelta(minutes=1)
REPLAY_BEFORE = timedelta(minutes=20)
REPLAY_FINE = timedelta(minutes=40)
"""The replay evaluates every minute until this long after the outage, then every
:data:`REPLAY_COARSE_STEP`: the ticket pairs' short windows (2 h, 6 h) keep a short outage
firing for hours, and resolving needs only a few calm evaluations."""
REPLAY_COARSE_STEP = timedelta(minutes=5)
REPLAY_LIMIT = timedelta(hours=8)
"""The replay stops at the latest this long after the outage (the slowest pair's 6 h window
has left it by then)."""
NOTICE_WAIT = timedelta(seconds=75)
"""Live: how long to keep evaluating for the opened incident's notices (``group_wait``)."""


@dataclass
class Replay:
    """What evaluating the past minute by minute produced, for every app."""

    scenario: Scenario
    evaluations: int = 0
    events: list[Event] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    reports: list[ReportVersion] = field(default_factory=list)

    def of_app(self, club_app: str) -> bool:
        return club_app == self.scenario.app

    @property
    def opened(self) -> list[str]:
        """Incidents the replay opened on the scenario's app."""
        return list(
            dict.fromkeys(
                e.incident_id
                for e in self.events
                if e.kind == "opened" and self.of_app(f"{e.club}/{e.app}")
            )
        )

    @property
    def others(self) -> list[Event]:
        """Openings on other apps (a low-volume history has a few)."""
        return [
            e for e in self.events if e.kind == "opened" and not self.of_app(f"{e.club}/{e.app}")
        ]


class RecordingSink:
    """Forwards notices to the delivery and keeps them, so the demo can show each one."""

    def __init__(self, inner: NoticeSink | None) -> None:
        self.inner = inner
        self.notices: list[Notice] = []

    def submit(self, notices: Sequence[Notice]) -> None:
        self.notices += notices
        if self.inner is not None:
            self.inner.submit(notices)


def latest_incident(scenarios: Iterable[Scenario]) -> Scenario | None:
    """The past incident that started last (a deploy is a change, not an incident)."""
    found = [s for s in scenarios if s.kind != "deploy" and s.end_ns is not None]
    return max(found, key=lambda s: s.start_ns, default=None)


def utc_time(t_ns: int) -> datetime:
    return datetime.fromtimestamp(t_ns / 1e9, UTC)


def replay(runtime: Runtime, scenario: Scenario) -> Replay:
    """Evaluate the simulated minutes from before ``scenario`` until the incidents it opened
    resolved (at most :data:`REPLAY_LIMIT` after its end), through every stage of a cycle."""
    assert scenario.end_ns is not None
    start = utc_time(scenario.start_ns).replace(second=0, microsecond=0) - REPLAY_BEFORE
    end = utc_time(scenario.end_ns)
    result = Replay(scenario)
    sink = RecordingSink(runtime.incidents.delivery)
    runtime.incidents.delivery = sink  # the reports' notices go through it too
    try:
        at = start
        while at <= end + REPLAY_LIMIT:
            outcome = cycle(runtime, at)
            result.evaluations += 1
            result.events += outcome.events
            result.reports += runtime.reports.after_cycle(outcome)
            still_open = {i.id for i in outcome.incidents if i.is_open}
            if at > end and result.opened and not still_open & set(result.opened):
                break
            at += _MINUTE if at < end + REPLAY_FINE else REPLAY_COARSE_STEP
    finally:
        runtime.incidents.delivery = sink.inner
    result.notices = sink.notices
    return result


def cycle(runtime: Runtime, at: datetime | None) -> CycleOutcome:
    """One evaluation (``None``: now, kept as the API's latest) and its incident cycle."""
    evaluation = runtime.evaluator.evaluate(at)
    return runtime.incidents.run_cycle(evaluation, now=evaluation.at)


@dataclass
class Live:
    """The cycles run after the live traffic."""

    outcomes: list[CycleOutcome]

    @property
    def events(self) -> list[Event]:
        return [e for o in self.outcomes for e in o.events]

    @property
    def notices(self) -> list[Notice]:
        return [n for o in self.outcomes for n in o.notices]


def live_evaluation(runtime: Runtime) -> Live:
    """Evaluate now, then again every 15 s until the incidents it opened have been announced
    (channels hear of an incident ``group_wait`` after it opened)."""
    # The engine counts whole minutes of the per-minute rollup: wait for this one to close.
    time.sleep(61 - datetime.now(UTC).second)
    first = cycle(runtime, None)
    runtime.reports.after_cycle(first)
    outcomes = [first]
    opened = {e.incident_id for e in first.events if e.kind == "opened"}
    deadline = time.monotonic() + NOTICE_WAIT.total_seconds()
    told: set[str] = set()
    while opened - told and time.monotonic() < deadline:
        time.sleep(15)
        outcomes.append(cycle(runtime, None))
        runtime.reports.after_cycle(outcomes[-1])
        told |= {line.incident_id for n in outcomes[-1].notices for line in n.lines}
    return Live(outcomes)
