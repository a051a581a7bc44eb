"""From the incident engine's types to :class:`~vigie.reports.model.IncidentRecord`.

The incident engine stores events (:class:`vigie.incidents.model.Event`) and a notification log
(:class:`vigie.incidents.grouping.Told`); the report needs the incident's times, its SLO as
configured, and a timeline of what happened and who was told.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigie.config import Config
from vigie.config.slo import CustomSli, LatencySli
from vigie.incidents.grouping import Told
from vigie.incidents.model import Event, Incident
from vigie.reports.model import IncidentRecord, SloInfo, TimelineEntry

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


def _event_entry(event: Event) -> TimelineEntry:
    detail = event.reason
    if event.kind in ("escalated", "opened", "reopened"):
        detail = f"{event.severity}: {event.reason}"
    return TimelineEntry(event.at, event.kind, detail)


def _told_entry(told: Told) -> TimelineEntry:
    what = "edit" if told.edit_of else told.kind
    return TimelineEntry(told.created_at, "notified", f"{told.channel}: {what}")


def to_record(
    config: Config, incident: Incident, events: Sequence[Event], told: Sequence[Told]
) -> IncidentRecord:
    entries = [_event_entry(e) for e in events if e.kind in TIMELINE_KINDS]
    entries += [_told_entry(t) for t in told if incident.id in t.incident_ids]
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
    )
