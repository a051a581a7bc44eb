"""One incident cycle: an evaluation in; events written; notices handed to the delivery.

:func:`run_cycle` is the glue between the pure stages, in this order:

1. load the live incidents (open, or resolved recently enough to re-open) and their
   notification log — two queries;
2. decide the platform condition (:mod:`.inhibit`), the events of this evaluation
   (:mod:`.state`) and the silence changes (:mod:`.silences`); write them — one insert;
3. route every live incident (:mod:`.routing`), plan each channel's notices (:mod:`.grouping`),
   build them (:mod:`.lines`), submit them to the delivery outbox, then record them in the
   notification log — one insert.

An evaluation not newer than the latest one already applied changes no state (a replay of the
same instant, or a cycle re-run after a crash, writes no second set of events). A crash between
submitting and recording notices recomputes the same keys next cycle; the outbox ignores them.
``dry_run`` runs every stage and writes and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from vigie.config import Config
from vigie.config.clubs import Policy
from vigie.i18n import DEFAULT_TIMEZONE
from vigie.incidents.escalation import escalations
from vigie.incidents.grouping import Member, Planned, Timing, Told, plan
from vigie.incidents.impact import measure
from vigie.incidents.inhibit import PlatformCondition, inhibited_by, platform_condition
from vigie.incidents.lines import Links, to_notice
from vigie.incidents.liveness import read_liveness
from vigie.incidents.model import PLATFORM_SLO, SILENT_SLO, Event, Incident
from vigie.incidents.routing import Route, route
from vigie.incidents.silences import SilenceStore, silence_events
from vigie.incidents.state import fold, signals, transition
from vigie.incidents.store import IncidentStore
from vigie.notify.clues import CLUED_KINDS, Clues
from vigie.notify.notice import ADMINS, Notice, NoticeSink
from vigie.reports.adapter import slo_info
from vigie.reports.queries import Scope
from vigie.slo.evaluator import Evaluation
from vigie.slo.windows import PAIRS, WINDOWS
from vigie.store import Store


@dataclass(frozen=True)
class CycleOutcome:
    at: datetime
    events: tuple[Event, ...]  # written (or, in a dry run, that would be)
    notices: tuple[Notice, ...]  # submitted (or that would be)
    planned: tuple[Planned, ...]  # with the reason of each notice
    platform: PlatformCondition
    incidents: tuple[Incident, ...]  # live incidents after the cycle
    skipped: str | None = None  # why no state change was decided
    dry_run: bool = False
    held: tuple[tuple[str, str, str], ...] = field(default=())  # (incident, channel, reason)

    def lines(self) -> list[str]:
        """A readable account: each event and notice with its reason."""
        verb = ("would write", "would send") if self.dry_run else ("wrote", "submitted")
        out = [
            f"incidents: {verb[0]} {len(self.events)} event(s), {verb[1]} "
            f"{len(self.notices)} notice(s); platform: {self.platform.reason}"
        ]
        if self.skipped:
            out.append(f"  {self.skipped}")
        for e in self.events:
            where = "/".join(p for p in (e.club, e.app, e.environment, e.slo) if p)
            out.append(
                f"  event  {e.incident_id} #{e.seq} {e.kind} {where} {e.severity}: {e.reason}"
            )
        for p in self.planned:
            ids = ", ".join(i.id for i in p.incidents)
            out.append(f"  notice {p.key} → {p.channel} {p.kind} [{ids}]: {p.reason}")
        return out

    def as_dicts(self) -> list[dict[str, Any]]:
        """One JSON-ready object per event and notice (``type``: ``event`` or ``notice``)."""
        events = [{"type": "event", **e.as_dict()} for e in self.events]
        notices = [
            {
                "type": "notice",
                "key": p.key,
                "channel": p.channel,
                "kind": p.kind,
                "incidents": [i.id for i in p.incidents],
                "mentions": list(p.mentions),
                "edit_of": p.edit_of,
                "reason": p.reason,
            }
            for p in self.planned
        ]
        return [*events, *notices]


def policy_of(config: Config) -> Callable[[str], Policy]:
    """The policy of a club (its overrides applied); ``""`` or an unknown club: the global one."""
    alerts = config.alerts

    def of(club: str) -> Policy:
        if club:
            try:
                return alerts.policy_for(club)
            except KeyError:
                pass
        return alerts.policy

    return of


def timezone_of(config: Config, channel: str) -> str:
    """The time zone a channel's readers live in (the admins': the default one)."""
    if channel == ADMINS:
        return DEFAULT_TIMEZONE
    try:
        return config.alerts.club(channel).timezone
    except KeyError:
        return DEFAULT_TIMEZONE


RESIDUAL_HORIZON = max(WINDOWS[pair.short] for pair in PAIRS)
"""How long after resolving a past outage can still make a pair fire (its short window)."""


def live_since(config: Config, now: datetime) -> datetime:
    """Resolved incidents still matter while they may re-open, have a resolve to announce, or
    their outage still makes slow pairs fire (which must not open a new incident)."""
    policies = [config.alerts.policy, *(config.alerts.policy_for(c.id) for c in config.clubs)]
    keep = max(max(p.flap_reopen_within, 2 * p.group_interval) for p in policies)
    return now - max(keep, RESIDUAL_HORIZON)


def run_cycle(
    store: Store,
    config: Config,
    evaluation: Evaluation,
    now: datetime,
    *,
    links: Links,
    dry_run: bool = False,
    delivery: NoticeSink | None = None,
) -> CycleOutcome:
    """Apply one evaluation to the incidents and notify. ``delivery`` None: plan only."""
    istore = IncidentStore(store)
    events, log = istore.load_live(live_since(config, now))
    policy = policy_of(config)
    liveness = read_liveness(store, [s.target.app for s in evaluation.statuses], evaluation.at)
    dead = {app for app, live in liveness.items() if live.dead}
    share = config.alerts.policy.platform_incident_share
    platform = platform_condition(evaluation.statuses, share, dead)
    before = fold(events)
    applied = max(
        (i.last_evaluation_at for i in before.values() if i.last_evaluation_at), default=None
    )
    skipped = None
    new: list[Event] = []
    if applied is not None and evaluation.at <= applied:
        skipped = f"evaluation at {evaluation.at} already applied (latest {applied})"
    else:
        new = transition(
            before.values(),
            signals(evaluation.statuses, platform, liveness),
            policy,
            now,
            evaluation.at,
        )
        new = [with_impact(store, config, before, e) for e in new]
    after = fold([*events, *new])
    new += silence_events(after.values(), SilenceStore(store).all(), now)
    incidents = fold([*events, *new])
    if not dry_run:
        istore.append(new)
    planned, routes, held = plan_notices(config, list(incidents.values()), log, now)
    described = [i for p in planned if p.kind in CLUED_KINDS for i in p.incidents]
    clues = Clues(store, config).of(described, now) if described else {}
    notices = [
        to_notice(
            p, routes[(p.channel, p.incidents[0].id)], incidents.values(), links, now, clues,
            timezone_of(config, p.channel),
        )
        for p in planned
    ]  # fmt: skip
    if notices and not dry_run and delivery is not None:
        delivery.submit(notices)
        istore.record_notices(planned, now)
    return CycleOutcome(
        at=evaluation.at,
        events=tuple(new),
        notices=tuple(notices),
        planned=tuple(planned),
        platform=platform,
        incidents=tuple(sorted(incidents.values(), key=lambda i: i.id)),
        skipped=skipped,
        dry_run=dry_run,
        held=tuple(held),
    )


def with_impact(
    store: Store, config: Config, incidents: Mapping[str, Incident], event: Event
) -> Event:
    """A ``resolved`` event of an SLO incident, with its impact measured on the rollup (the
    outage's start, end and failed requests: :mod:`.impact`); any other event unchanged."""
    inc = incidents.get(event.incident_id)
    if event.kind != "resolved" or inc is None or inc.slo in (PLATFORM_SLO, SILENT_SLO):
        return event
    scope = Scope(inc.app, inc.environment, slo_info(config, inc))
    impact = measure(store, scope, inc.since, event.evaluation_at)
    return replace(event, cause={**event.cause, "impact": impact.as_cause()})


def plan_notices(
    config: Config, incidents: Sequence[Incident], log: Sequence[Told], now: datetime
) -> tuple[list[Planned], dict[tuple[str, str], Route], list[tuple[str, str, str]]]:
    """Every channel's notices at ``now`` (pure): routes each incident, marks those the open
    platform incident covers, and plans per channel with the channel's timings. Also returns
    the route of each (channel, incident) and why incidents were kept from channels."""
    alerts = config.alerts
    platform = next((i for i in incidents if i.slo == PLATFORM_SLO and i.is_open), None)
    members: dict[str, list[Member]] = {}
    routes: dict[tuple[str, str], Route] = {}
    held: list[tuple[str, str, str]] = []
    for inc in incidents:
        routing = route(inc, alerts, now)
        held += [(inc.id, channel, why) for channel, why in routing.held]
        inhibited = inhibited_by(inc, platform)
        for r in routing.routes:
            members.setdefault(r.channel, []).append(Member(inc, r, inhibited))
            routes[(r.channel, inc.id)] = r
    planned: list[Planned] = []
    for channel in sorted(members):
        p = alerts.policy if channel == ADMINS else alerts.policy_for(channel)
        timing = Timing(p.group_wait, p.group_interval, p.repeat_interval)
        told = [t for t in log if t.channel == channel]
        planned += plan(channel, members[channel], told, timing, now)
    planned += escalations(incidents, log, alerts, routes, now)
    return planned, routes, held
