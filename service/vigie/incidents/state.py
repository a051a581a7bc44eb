"""The incident state machine, pure: fold events into incidents; decide the next events.

Per key ``(club, app, environment, slo)`` an evaluation gives a :class:`Signal`:

* ``firing`` — the SLO is ``ticket`` or ``page`` (the silent pseudo-SLO: the app is dead, see
  :mod:`.liveness`; the platform pseudo-SLO: the platform condition holds);
* ``clean`` — the SLO is ``ok``;
* ``frozen`` — ``no_data`` or ``low_traffic``: nothing to judge, the incident keeps its state
  (silence is not health, and a handful of requests is no evidence of recovery).

:func:`transition` turns the signals and the current incidents into events: open (one open
incident per key), escalate (ticket → page), count calm evaluations and resolve after
``policy.resolve_after_evaluations`` of them in a row, re-open the same incident when it fires
again within ``policy.flap_reopen_within`` of resolving. Every event carries its reason and cause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from vigie.config.clubs import Policy
from vigie.incidents.inhibit import PlatformCondition, app_key
from vigie.incidents.liveness import Liveness
from vigie.incidents.model import (
    EVALUATED,
    NOTABLE,
    PLATFORM_SLO,
    SILENT_SLO,
    AppKey,
    Event,
    EventKind,
    Incident,
    Key,
    Severity,
    frozen,
    incident_id,
)
from vigie.slo.evaluator import SloStatus
from vigie.slo.windows import WINDOWS

Condition = Literal["firing", "clean", "frozen"]
PLATFORM_KEY: Key = ("", "", "", PLATFORM_SLO)
RECENT_WINDOW = "5m"
"""The recent SLI: users are fine again when its burn rate is at most 1 (within objective).
It is the fastest page pair's short window, so a page pair never fires on errors it misses."""
_RANK: dict[str, int] = {"no_data": 0, "ticket": 1, "page": 2}


@dataclass(frozen=True)
class Signal:
    """What one evaluation says about one key."""

    key: Key
    condition: Condition
    severity: Severity
    reason: str
    cause: Mapping[str, Any]
    recovered: bool = False  # the recent SLI (:data:`RECENT_WINDOW`) is within objective


# --- fold -----------------------------------------------------------------------------------


def apply(incident: Incident | None, event: Event) -> Incident:
    """The incident after one more of its events."""
    if incident is None:
        if event.kind != "opened":
            raise ValueError(f"{event.incident_id}: first event is {event.kind}, not opened")
        incident = Incident(
            id=event.incident_id,
            club=event.club,
            app=event.app,
            environment=event.environment,
            slo=event.slo,
            severity=event.severity,
            status="open",
            opened_at=event.at,
            since=event.at,
            resolved_at=None,
            reason=event.reason,
            cause=event.cause,
            last_seq=event.seq,
            notable_seq=event.seq,
            notable_kind="opened",
            affected=_affected(event.cause),
        )
    else:
        incident = _changed(incident, event)
    newest = incident.last_evaluation_at
    if event.kind in EVALUATED:
        newest = event.evaluation_at if newest is None else max(newest, event.evaluation_at)
    notable = event.kind in NOTABLE
    return replace(
        incident,
        last_seq=max(incident.last_seq, event.seq),
        last_evaluation_at=newest,
        # an override is a timeline note: the incident's own reason stays
        reason=(event.reason or incident.reason) if event.kind != "gate_override"
        else incident.reason,
        notable_seq=event.seq if notable else incident.notable_seq,
        notable_kind=event.kind if notable else incident.notable_kind,
    )


def _changed(incident: Incident, event: Event) -> Incident:
    kind = event.kind
    if kind == "escalated":
        return replace(incident, severity=event.severity, cause=event.cause, calm=0)
    if kind == "calm":
        return replace(incident, calm=int(event.cause.get("calm", incident.calm + 1)))
    if kind == "refired":
        return replace(incident, cause=event.cause, calm=0)
    if kind == "deescalated":
        return replace(incident, severity=event.severity, cause=event.cause, calm=0)
    if kind == "resolved":
        return replace(
            incident,
            status="resolved",
            resolved_at=event.at,
            calm=0,
            resolution=event.cause,
            residual_until=_residual_until(event.cause),
        )
    if kind == "reopened":
        return replace(
            incident,
            status="open",
            severity=event.severity,
            since=event.at,
            resolved_at=None,
            cause=event.cause,
            calm=0,
            reopen_count=incident.reopen_count + 1,
            acknowledged_by=None,
            acknowledged_at=None,
            affected=_affected(event.cause) or incident.affected,
            resolution=frozen({}),
            residual_until=None,
        )
    if kind == "widened":
        wider = _affected(event.cause)
        added = tuple(k for k in wider if k not in incident.affected)
        return replace(incident, affected=wider, widened_by=added)
    if kind == "acknowledged":
        return replace(incident, acknowledged_by=event.author, acknowledged_at=event.at)
    if kind == "silenced":
        return replace(incident, silenced_by=str(event.cause.get("silence_id", "")))
    if kind == "unsilenced":
        return replace(incident, silenced_by=None)
    return incident  # "opened" twice is a duplicate row: the first one holds


def _residual_until(cause: Mapping[str, Any]) -> datetime | None:
    until = cause.get("residual", {}).get("until")
    return None if until is None else datetime.fromisoformat(str(until))


def _affected(cause: Mapping[str, Any]) -> tuple[AppKey, ...]:
    return tuple((str(c), str(a), str(e)) for c, a, e in cause.get("affected", ()))


def fold(events: Iterable[Event]) -> dict[str, Incident]:
    """Every incident of these events (in any order), by id."""
    incidents: dict[str, Incident] = {}
    seen: set[tuple[str, int]] = set()
    for event in sorted(events, key=lambda e: (e.incident_id, e.seq, e.at)):
        if (event.incident_id, event.seq) in seen:
            continue  # a row written twice (retried insert): the log is the same
        seen.add((event.incident_id, event.seq))
        incidents[event.incident_id] = apply(incidents.get(event.incident_id), event)
    return incidents


def latest_by_key(incidents: Iterable[Incident]) -> dict[Key, Incident]:
    """The most recent incident of each key (the only one that may be open)."""
    latest: dict[Key, Incident] = {}
    for incident in incidents:
        current = latest.get(incident.key)
        if current is None or (incident.since, incident.id) > (current.since, current.id):
            latest[incident.key] = incident
    return latest


# --- signals --------------------------------------------------------------------------------


def status_cause(status: SloStatus) -> dict[str, Any]:
    """The cause an SLO verdict gives an event: state, windows fired, burn rates, budget."""
    d = status.decision
    slo = status.target.slo
    return {
        "state": d.state,
        "reason": d.reason,
        "objective": slo.objective,
        "window": slo.window,
        "burn_rates": dict(d.burn_rates),
        "budget_remaining": d.budget_remaining,
        "events_total": d.events_total,
        "events_bad": d.events_bad,
        "fired": [
            {
                "pair": v.pair.name,
                "severity": v.pair.severity,
                "long": v.pair.long,
                "short": v.pair.short,
                "factor": v.factor,
                "long_burn": v.long_burn,
                "short_burn": v.short_burn,
            }
            for v in d.pairs
            if v.fired
        ],
        **status.details,  # probe SLIs and certificates: what fails, for the notices
    }


def signals(
    statuses: Sequence[SloStatus],
    platform: PlatformCondition,
    liveness: Mapping[str, Liveness],
) -> list[Signal]:
    """One signal per SLO, per app (silent: dead or not, by service name) and for the
    platform."""
    out: list[Signal] = []
    apps: set[AppKey] = set()
    for status in statuses:
        t, d = status.target, status.decision
        key: Key = (t.club, t.app, t.environment or "", t.slo.name)
        apps.add(app_key(status))
        recent = d.burn_rates.get(RECENT_WINDOW)
        recovered = recent is not None and recent <= 1
        if d.state in ("ticket", "page"):
            out.append(
                Signal(key, "firing", d.state, d.reason, status_cause(status), recovered)
            )
        elif d.state == "ok":
            out.append(Signal(key, "clean", "ticket", d.reason, status_cause(status), recovered))
        else:
            out.append(Signal(key, "frozen", "ticket", d.reason, status_cause(status)))
    for club, app, environment in sorted(apps):
        key = (club, app, environment, SILENT_SLO)
        live = liveness.get(app)
        if live is None:
            continue  # not measured: nothing to say either way
        cause: dict[str, Any] = {"usual": list(live.usual)}
        if live.silent_since is not None:
            cause["silent_since"] = live.silent_since.isoformat()
        condition: Condition = "firing" if live.dead else "clean"
        out.append(Signal(key, condition, "page", live.reason, cause))
    platform_cause = {
        "affected": [list(k) for k in platform.affected],
        "apps": platform.apps,
        "reason": platform.reason,
    }
    condition = "firing" if platform.holds else "clean"
    out.append(Signal(PLATFORM_KEY, condition, platform.severity, platform.reason, platform_cause))
    return out


# --- transition -----------------------------------------------------------------------------


def transition(
    incidents: Iterable[Incident],
    signals_now: Sequence[Signal],
    policy_of: Callable[[str], Policy],
    at: datetime,
    evaluation_at: datetime,
) -> list[Event]:
    """The events this evaluation causes. ``policy_of(club)`` (``""``: the global policy)."""
    latest = latest_by_key(incidents)
    events: list[Event] = []

    def event(
        inc_id: str, seq: int, kind: EventKind, sig: Signal, severity: Severity, reason: str
    ) -> Event:
        club, app, environment, slo = sig.key
        return Event(
            inc_id,
            seq,
            at,
            evaluation_at,
            kind,
            club,
            app,
            environment,
            slo,
            severity,
            reason,
            frozen(sig.cause),
        )

    signalled: set[Key] = set()
    for sig in signals_now:
        signalled.add(sig.key)
        policy = policy_of(sig.key[0])
        inc = latest.get(sig.key)
        if sig.condition == "firing" and inc is not None and sig.recovered:
            if inc.is_open and inc.severity == "page":
                # users are fine again: the pairs still firing only read the past outage
                events.append(_calm_or_resolve(inc, sig, policy, event, at))
                continue
            if not inc.is_open and inc.residual_until is not None and at < inc.residual_until:
                continue  # the resolved outage's remaining burn, not a new one
        if sig.condition == "firing":
            if inc is None or (
                not inc.is_open
                and inc.resolved_at is not None
                and at - inc.resolved_at > policy.flap_reopen_within
            ):
                new_id = incident_id(sig.key, at)
                events.append(event(new_id, 1, "opened", sig, sig.severity, sig.reason))
            elif not inc.is_open:
                assert inc.resolved_at is not None
                why = (
                    f"fired again {at - inc.resolved_at} after resolving (within "
                    f"flap_reopen_within {policy.flap_reopen_within}): {sig.reason}"
                )
                severity = sig.severity
                events.append(event(inc.id, inc.last_seq + 1, "reopened", sig, severity, why))
            elif _RANK[sig.severity] > _RANK[inc.severity]:
                why = f"{inc.severity} → {sig.severity}: {sig.reason}"
                events.append(event(inc.id, inc.last_seq + 1, "escalated", sig, sig.severity, why))
            elif inc.severity == "page" and sig.severity == "ticket":
                why = f"no page pair fires any more, errors go on: {sig.reason}"
                events.append(event(inc.id, inc.last_seq + 1, "deescalated", sig, "ticket", why))
            elif inc.calm > 0:
                why = f"fires again after {inc.calm} calm evaluation(s): {sig.reason}"
                events.append(event(inc.id, inc.last_seq + 1, "refired", sig, inc.severity, why))
            elif inc.is_platform and not set(_affected(sig.cause)) <= set(inc.affected):
                wider = {**sig.cause, "affected": _union(inc.affected, _affected(sig.cause))}
                sig = replace(sig, cause=wider)
                why = f"now covers {len(wider['affected'])} apps: {sig.reason}"
                events.append(event(inc.id, inc.last_seq + 1, "widened", sig, inc.severity, why))
        elif sig.condition == "clean" and inc is not None and inc.is_open:
            events.append(_calm_or_resolve(inc, sig, policy, event, at))
    for key, inc in latest.items():
        if inc.is_open and key not in signalled:
            gone = Signal(key, "clean", inc.severity, "no longer evaluated", {})
            why = "its SLO is no longer in the configuration"
            events.append(event(inc.id, inc.last_seq + 1, "resolved", gone, inc.severity, why))
    return events


def _calm_or_resolve(
    inc: Incident, sig: Signal, policy: Policy, event: Callable[..., Event], at: datetime
) -> Event:
    calm = inc.calm + 1
    needed = policy.resolve_after_evaluations
    what = "no alert condition" if sig.condition == "clean" else "recent SLI within objective"
    if calm < needed:
        cause = replace(sig, cause={**sig.cause, "calm": calm, "needed": needed})
        why = f"{what} ({calm} of {needed} evaluations before resolving)"
        return event(inc.id, inc.last_seq + 1, "calm", cause, inc.severity, why)
    why = f"{what} for {calm} evaluation(s) in a row"
    extra: dict[str, Any] = {"calm": calm, "needed": needed}
    if residual := _residual(sig, at):
        extra["residual"] = residual
        why += (
            f"; the past outage still burns the budget at {residual['burn']:.3g}x over "
            f"{residual['window']} until {residual['until']} at the latest"
        )
    cause = replace(sig, cause={**sig.cause, **extra})
    return event(inc.id, inc.last_seq + 1, "resolved", cause, inc.severity, why)


def _residual(sig: Signal, at: datetime) -> dict[str, Any] | None:
    """The pairs still firing when a recovered incident resolves: how fast the past outage still
    burns the budget, and until when (every such pair stops once the outage has left its short
    window, at the latest ``at`` + that window)."""
    fired = [p for p in sig.cause.get("fired", ()) if p.get("long_burn") is not None]
    if sig.condition != "firing" or not fired:
        return None
    slowest = max(fired, key=lambda p: WINDOWS.get(str(p["long"]), WINDOWS["3d"]))
    span = max(WINDOWS.get(str(p["short"]), WINDOWS["6h"]) for p in fired)
    return {
        "pairs": [str(p["pair"]) for p in fired],
        "burn": float(slowest["long_burn"]),
        "window": str(slowest["long"]),
        "until": (at + span).isoformat(),
    }


def _union(a: Iterable[AppKey], b: Iterable[AppKey]) -> list[list[str]]:
    return [list(k) for k in sorted({*a, *b})]
