"""Incidents as the delivery's plain data: :class:`IncidentLine` and :class:`Notice` (pure).

Links: the incident page is ``<public_url>/incidents/<id>``; the app's dashboard is Grafana's
``/d/<uid>`` with the uid the dashboards are generated with (:func:`dashboard_uid`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from vigie.dashboards.app import dashboard_uid
from vigie.incidents.grouping import Planned
from vigie.incidents.model import PLATFORM_SLO, TELEMETRY_SLO, Incident
from vigie.incidents.routing import Route
from vigie.notify.notice import ADMINS, IncidentLine, Notice

_SUMMARY_MAX = 300


@dataclass(frozen=True)
class Links:
    public_url: str
    grafana_url: str

    def incident(self, incident_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/incidents/{quote(incident_id)}"

    def dashboard(self, club: str, app: str) -> str:
        return f"{self.grafana_url.rstrip('/')}/d/{quote(dashboard_uid(club, app))}"


def _fastest_fired(cause: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """Burn rate and long window of the firing pair with the shortest long window."""
    fired = [p for p in cause.get("fired", ()) if p.get("long_burn") is not None]
    if not fired:
        return None, None
    order = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    first = min(fired, key=lambda p: order.index(p["long"]) if p["long"] in order else 99)
    return float(first["long_burn"]), str(first["long"])


def incident_line(incident: Incident, links: Links) -> IncidentLine:
    cause = incident.cause
    burn, burn_window = _fastest_fired(cause)
    special = incident.slo in (TELEMETRY_SLO, PLATFORM_SLO)
    budget = cause.get("budget_remaining")
    return IncidentLine(
        incident_id=incident.id,
        club=incident.club,
        app=incident.app,
        slo=incident.slo,
        severity="no_data" if incident.slo == TELEMETRY_SLO else incident.severity,
        state=incident.state,
        objective=float(cause.get("objective", 0.0)),
        window=str(cause.get("window", "")),
        burn_rate=None if special else burn,
        burn_window=None if special else burn_window,
        budget_remaining=None if budget is None else float(budget),
        since=incident.since,
        resolved_at=incident.resolved_at,
        dashboard_url="" if incident.is_platform else links.dashboard(incident.club, incident.app),
        incident_url=links.incident(incident.id),
        summary=incident.reason[:_SUMMARY_MAX],
        acknowledged_by=incident.acknowledged_by,
    )


def to_notice(
    planned: Planned,
    route: Route,
    covered: Iterable[Incident],
    links: Links,
    now: datetime,
) -> Notice:
    """The notice of a plan. ``covered``: open incidents of the apps a platform incident covers
    (listed after it; a club's captains see only their club's)."""
    incidents = list(planned.incidents)
    extra: dict[str, str] = {}
    platform = next((i for i in incidents if i.is_platform), None)
    if platform is not None:
        mine = [
            i
            for i in covered
            if i.app_key in platform.affected and (route.channel in (ADMINS, i.club))
        ]
        incidents += sorted(mine, key=lambda i: i.id)
        extra = {"reason": platform.reason, "platform_incident": platform.id}
    return Notice(
        key=planned.key,
        channel=planned.channel,
        locale=route.locale,
        kind=planned.kind,
        lines=tuple(incident_line(i, links) for i in incidents),
        created_at=now,
        mention_user_ids=planned.mentions,
        edit_of=planned.edit_of,
        extra=extra,
    )
