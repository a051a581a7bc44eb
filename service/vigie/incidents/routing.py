"""Routing: which channels hear about an incident, with which mentions, and why (pure).

* The admins' channel gets every incident; pages mention the admins (``admins.users`` and
  ``admins.roles``), tickets nobody.
* A club's channel gets only its own club's incidents — never another club's — for the
  severities in its ``captain_severities``; the captains are mentioned on
  ``mention_captains_on``. During the club's quiet hours, tickets wait (pages do not).
* "Telemetry stopped" incidents go to the admins only (the pipeline is theirs to check first).
* The platform incident goes to the admins, and to every club whose apps it covers (one short
  "platform incident, not your app" notice, without mentions).
* A silenced incident goes nowhere (it is still recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigie.config.clubs import AlertsConfig, Club, Locale
from vigie.incidents.model import Incident
from vigie.notify.notice import ADMINS

ADMIN_LOCALE: Locale = "fr"


@dataclass(frozen=True)
class Route:
    channel: str  # ADMINS or a club id
    locale: Locale
    mentions: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Routing:
    routes: tuple[Route, ...]
    held: tuple[tuple[str, str], ...]  # (channel, why it is not told now)


def route(incident: Incident, alerts: AlertsConfig, now: datetime) -> Routing:
    """Where the incident goes at ``now``, and where it does not, each with its reason."""
    if incident.silenced_by is not None:
        why = f"silenced by {incident.silenced_by}"
        return Routing((), ((ADMINS, why), (incident.club or "*", why)))
    if incident.is_platform:
        mentions = alerts.admins.mentions if incident.severity == "page" else ()
        routes = [Route(ADMINS, ADMIN_LOCALE, mentions, "platform incident: admins")]
        for club_id in sorted({club for club, _, _ in incident.affected}):
            club = _club(alerts, club_id)
            if club is not None:
                routes.append(Route(club.id, club.locale, (), "its apps are covered"))
        return Routing(tuple(routes), ())
    paged = alerts.admins.mentions if incident.severity == "page" else ()
    admins = Route(ADMINS, ADMIN_LOCALE, paged, "admins get every incident")
    held, club_route = _club_route(incident, alerts, now)
    return Routing((admins, club_route) if club_route else (admins,), held)


def _club_route(
    incident: Incident, alerts: AlertsConfig, now: datetime
) -> tuple[tuple[tuple[str, str], ...], Route | None]:
    club = _club(alerts, incident.club)
    if club is None:
        return ((incident.club, "club not in alerts/clubs.yaml"),), None
    policy = alerts.policy_for(club.id)
    severity = incident.severity
    if severity not in policy.captain_severities:
        return ((club.id, f"{severity} not in captain_severities"),), None
    if severity == "ticket" and policy.quiet_hours and policy.quiet_hours.contains(now):
        hours = policy.quiet_hours
        span = f"{hours.start:%H:%M}-{hours.end:%H:%M} {hours.timezone}"
        return ((club.id, f"quiet hours {span}: tickets wait"),), None
    mention = severity in policy.mention_captains_on
    mentions = tuple(club.captains) if mention else ()
    why = f"{severity} to the club's captains" + (" with mentions" if mentions else "")
    return (), Route(club.id, club.locale, mentions, why)


def _club(alerts: AlertsConfig, club_id: str) -> Club | None:
    try:
        return alerts.club(club_id)
    except KeyError:
        return None
