"""Escalation: a page nobody acknowledged in time (pure).

A page still open and unacknowledged ``policy.escalate_after`` (default 15 minutes) after it
(re)opened is escalated once per opening: an ``escalation`` notice to the admins' channel that
mentions the admins, and a ``reminder`` to the club's channel that mentions its captains (when
``policy.escalate_to`` names them and the club's channel got the page; ``[]``: no escalation).
Only pages escalate, so quiet hours (which hold tickets) never delay an escalation. Silenced
incidents never escalate, nor do the apps an open platform incident covers: the platform
incident escalates to the admins instead (its captains were told the admins are on it).

Keys derive from the channel and the incidents' openings, and the notification log records
escalations, so a crash or a second cycle never escalates the same opening twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from vigie.config.clubs import AlertsConfig, Policy
from vigie.incidents.grouping import Planned, Told, notice_key
from vigie.incidents.inhibit import inhibited_by
from vigie.incidents.model import Incident
from vigie.incidents.routing import Route
from vigie.notify.notice import ADMINS, Kind


def _policy(alerts: AlertsConfig, club: str) -> Policy:
    try:
        return alerts.policy_for(club) if club else alerts.policy
    except KeyError:
        return alerts.policy


def due(incident: Incident, alerts: AlertsConfig, log: Sequence[Told], now: datetime) -> bool:
    """Whether ``incident`` is to be escalated now."""
    if incident.state != "open" or incident.severity != "page" or incident.silenced_by:
        return False
    if now - incident.since < _policy(alerts, incident.club).escalate_after:
        return False
    return not any(
        t.kind in ("escalation", "reminder")
        and incident.id in t.incident_ids
        and t.created_at >= incident.since
        for t in log
    )


def escalations(
    incidents: Sequence[Incident],
    log: Sequence[Told],
    alerts: AlertsConfig,
    routes: Mapping[tuple[str, str], Route],
    now: datetime,
) -> list[Planned]:
    """The escalation notices due at ``now``: one for the admins, one per club reminded."""
    platform = next((i for i in incidents if i.is_platform and i.is_open), None)
    late = sorted(
        (i for i in incidents if due(i, alerts, log, now) and not inhibited_by(i, platform)),
        key=lambda i: i.id,
    )
    out: list[Planned] = []
    targets: dict[tuple[str, Kind], list[Incident]] = {}
    for inc in late:
        to = _policy(alerts, inc.club).escalate_to
        if "admins" in to and (ADMINS, inc.id) in routes:
            targets.setdefault((ADMINS, "escalation"), []).append(inc)
        if "captains" in to and inc.club and (inc.club, inc.id) in routes:
            targets.setdefault((inc.club, "reminder"), []).append(inc)
    for (channel, kind), batch in sorted(targets.items()):
        if channel == ADMINS:
            mentions = alerts.admins.mentions
        else:
            mentions = tuple(alerts.club(channel).captains)
        parts = (f"{i.id}:{i.since.isoformat()}" for i in batch)
        key = notice_key(channel, kind, None, parts)
        reason = f"{len(batch)} page(s) unacknowledged past escalate_after"
        seqs = tuple(i.notable_seq for i in batch)
        out.append(Planned(key, channel, kind, tuple(batch), mentions, None, reason, seqs))
    return out
