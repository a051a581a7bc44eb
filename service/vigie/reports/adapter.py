"""From the incident engine's types to :class:`~vigie.reports.model.IncidentRecord`.

The incident engine stores events (:class:`vigie.incidents.model.Event`) and a notification log
(:class:`vigie.incidents.grouping.Told`); the report needs the incident's times, its SLO as
configured, and a timeline of what happened and who was told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vigie.config import Config
from vigie.config.slo import CustomSli, LatencySli
from vigie.incidents.grouping import Told
from vigie.incidents.model import SILENT_SLO, Event, Incident
from vigie.reports.model import DEFAULT_TIMEZONE, IncidentRecord, SloInfo, TimelineEntry

# Event kinds that belong in a report's timeline (calm/refired are evaluation bookkeeping).
TIMELINE_KINDS = frozenset(
    {"opened", "escalated", "deescalated", "widened", "resolved", "reopened", "acknowledged",
     "silenced", "unsilenced", "gate_override"}
)
DEFAULT_OBJECTIVE = 99.9


def slo_info(config: Config, incident: Incident) -> SloInfo:
    """The incident's SLO as configured; from its cause when the SLO is gone or a pseudo-SLO."""
    for slo_file, slo in config.slos():
        if (
            slo_file.club == incident.club
            and slo_file.app == incident.app
            and (slo_file.environment or "") == incident.environment
            and slo.name == incident.slo
        ):
            routes = slo.routes
            return SloInfo(
                name=slo.name,
                objective=slo.objective,
                window_days=slo.window_seconds // 86400,
                sli="custom" if isinstance(slo.sli, CustomSli) else slo.sli.kind,
                threshold_ms=slo.sli.threshold_ms if isinstance(slo.sli, LatencySli) else None,
                environment=slo_file.environment,
                include_routes=tuple(routes.include) if routes else (),
                exclude_routes=tuple(routes.exclude) if routes else (),
            )
    cause = incident.cause
    window = str(cause.get("window", "30d"))
    return SloInfo(
        name=incident.slo,
        objective=float(cause.get("objective") or DEFAULT_OBJECTIVE),
        window_days=int(window[:-1]) if window[:-1].isdigit() else 30,
        sli="availability",
        environment=incident.environment or None,
    )


def _fired(cause: Mapping[str, Any]) -> dict[str, Any]:
    """The burn of the firing pair with the shortest long window, and the budget left."""
    fired = [p for p in cause.get("fired", ()) if p.get("long_burn") is not None]
    order = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    first = min(fired, key=lambda p: order.index(p["long"]) if p["long"] in order else 99,
                default=None)  # fmt: skip
    budget = cause.get("budget_remaining")
    return {
        "burn": None if first is None else float(first["long_burn"]),
        "window": "" if first is None else str(first["long"]),
        "budget": None if budget is None else 100 * float(budget),
    }


_FIRING = ("opened", "escalated", "reopened", "deescalated")


def _event_args(event: Event) -> dict[str, Any]:
    """The values a reader's sentence needs (see :func:`vigie.reports.wording.event_detail`)."""
    cause = event.cause
    if event.kind == "widened" or (event.kind in _FIRING and "affected" in cause):
        return {"severity": event.severity, "apps": len(cause.get("affected", ()))}
    if event.kind in _FIRING and event.slo == SILENT_SLO:
        return {"severity": event.severity, "silent_since": cause.get("silent_since", "")}
    if event.kind in _FIRING:
        severity = "no_data" if "slos" in cause else event.severity
        return {"severity": severity, **_fired(cause)}
    if event.kind == "resolved":
        if "calm" in cause:
            return {"calm": int(cause["calm"])}
        return {"gone": 1} if "no longer in the configuration" in event.reason else {"back": 1}
    if event.kind == "acknowledged":
        return {"author": event.author or event.reason.removeprefix("acknowledged by ")}
    if event.kind == "silenced":
        until = event.reason.rpartition(" until ")[2]
        return {"author": cause.get("author", ""), "comment": cause.get("comment", ""),
                "until": until}  # fmt: skip
    return {"silence": cause.get("silence_id", "")} if event.kind == "unsilenced" else {}


def _event_entry(event: Event) -> TimelineEntry:
    detail = event.reason
    if event.kind in ("escalated", "opened", "reopened"):
        detail = f"{event.severity}: {event.reason}"
    return TimelineEntry(event.at, event.kind, detail, _event_args(event))


def _told_entry(told: Told, state: str) -> TimelineEntry:
    what = "edit" if told.edit_of else told.kind
    args = {"channel": told.channel, "what": what, "state": state}
    return TimelineEntry(told.created_at, "notified", f"{told.channel}: {what} ({state})", args)


def to_record(
    config: Config,
    incident: Incident,
    events: Sequence[Event],
    told: Sequence[Told],
    delivered: Mapping[str, str] | None = None,
) -> IncidentRecord:
    """``delivered``: the outbox state of each notice key (sent, failed, dead, pending)."""
    states = delivered or {}
    entries = [_event_entry(e) for e in events if e.kind in TIMELINE_KINDS]
    entries += [
        _told_entry(t, states.get(t.key, "pending")) for t in told if incident.id in t.incident_ids
    ]
    try:
        club = config.alerts.club(incident.club)
        name, tz = club.name, club.timezone
    except KeyError:
        name, tz = incident.club, DEFAULT_TIMEZONE
    return IncidentRecord(
        id=incident.id,
        club=incident.club,
        app=incident.app,
        environment=incident.environment,
        slos=(slo_info(config, incident),),
        severity=incident.severity,
        state=incident.state,
        opened_at=incident.opened_at,
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by,
        resolved_at=incident.resolved_at,
        timeline=tuple(sorted(entries, key=lambda e: e.at)),
        covered=incident.affected,
        club_name=name,
        timezone=tz,
        it_contact=config.alerts.school_it_contact,
    )
