"""Incidents as the delivery's plain data: :class:`IncidentLine` and :class:`Notice` (pure).

Links: the incident page is ``<public_url>/incidents/<id>``; the app's dashboard is Grafana's
``/d/<uid>`` with the uid the dashboards are generated with (:func:`dashboard_uid`), over the
incident's time range (an hour before it opened until it resolved, or now).

What a notice says in words comes from the incident's cause (the share of requests failing over
the shortest alert window, the burn rates) and from its clues (:mod:`vigie.notify.clues`: the
SLO's kind, the top error, the routes hit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from vigie.dashboards.admin import OVERVIEW_UID
from vigie.dashboards.app import dashboard_uid
from vigie.i18n import DEFAULT_TIMEZONE
from vigie.incidents.grouping import Planned
from vigie.incidents.impact import Impact
from vigie.incidents.model import PLATFORM_SLO, SILENT_SLO, Incident
from vigie.incidents.routing import Route
from vigie.notify.clues import Clue
from vigie.notify.embeds import window_seconds
from vigie.notify.notice import ADMINS, IncidentLine, Notice
from vigie.settings import Settings

_SUMMARY_MAX = 300
BEFORE = timedelta(hours=1)  # of the incident, on its dashboard link
AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Links:
    public_url: str
    grafana_url: str

    @classmethod
    def of(cls, settings: Settings) -> Links:
        """The links of the configured deployment (the one place they are built)."""
        return cls(settings.public_url, settings.grafana_url)

    def incident(self, incident_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/incidents/{quote(incident_id)}"

    def dashboard(
        self, club: str, app: str, start: datetime | None = None, end: datetime | None = None
    ) -> str:
        """The app's dashboard (the admins' overview for the platform: no club, no app); from
        ``start`` to ``end`` (None: now) when ``start`` is given."""
        uid = OVERVIEW_UID if not club and not app else dashboard_uid(club, app)
        base = f"{self.grafana_url.rstrip('/')}/d/{quote(uid)}"
        if start is None:
            return base
        until = str(int(end.timestamp() * 1000)) if end is not None else "now"
        return f"{base}?from={int(start.timestamp() * 1000)}&to={until}"


def failing_now(cause: Mapping[str, Any]) -> float | None:
    """The share of bad events over the shortest alert window: its burn rate times the error
    budget (burn = bad share / (1 - objective)); None when the cause has no burn rates."""
    burns = {
        str(w): float(b) for w, b in dict(cause.get("burn_rates") or {}).items() if b is not None
    }
    objective = cause.get("objective")
    if not burns or objective is None:
        return None
    shortest = min(burns, key=window_seconds)
    return max(0.0, min(1.0, burns[shortest] * (100.0 - float(objective)) / 100.0))


def _fastest_fired(cause: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """Burn rate and long window of the firing pair with the shortest long window."""
    fired = [p for p in cause.get("fired", ()) if p.get("long_burn") is not None]
    if not fired:
        return None, None
    order = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    first = min(fired, key=lambda p: order.index(p["long"]) if p["long"] in order else 99)
    return float(first["long_burn"]), str(first["long"])


def incident_line(incident: Incident, links: Links, clue: Clue | None = None) -> IncidentLine:
    cause = incident.cause
    burn, burn_window = _fastest_fired(cause)
    # certificates and Kubernetes signals have no objective, burn rate nor budget
    verdict_only = bool(_FACT_KEYS & set(cause))
    special = incident.slo in (SILENT_SLO, PLATFORM_SLO) or verdict_only
    silent_since = cause.get("silent_since") if incident.slo == SILENT_SLO else None
    budget = None if verdict_only else cause.get("budget_remaining")
    clue = clue or Clue()
    burns = dict(cause.get("burn_rates") or {})
    start = incident.since - BEFORE
    end = incident.resolved_at + AFTER if incident.resolved_at else None
    impact = Impact.from_cause(incident.resolution.get("impact"))
    residual = incident.resolution.get("residual") or {}
    return IncidentLine(
        incident_id=incident.id,
        club=incident.club,
        app=incident.app,
        slo=incident.slo,
        severity=incident.severity,
        state=incident.state,
        objective=0.0 if verdict_only else float(cause.get("objective", 0.0)),
        window="" if verdict_only else str(cause.get("window", "")),
        burn_rate=None if special else burn,
        burn_window=None if special else burn_window,
        budget_remaining=None if budget is None else float(budget),
        since=incident.since,
        resolved_at=incident.resolved_at,
        dashboard_url=links.dashboard(incident.club, incident.app, start, end),
        incident_url=links.incident(incident.id),
        summary=clue.top_error[:_SUMMARY_MAX],  # never the engine's reason: it is jargon
        acknowledged_by=incident.acknowledged_by,
        acknowledged_at=incident.acknowledged_at,
        sli=clue.sli,
        threshold_ms=clue.threshold_ms,
        failing_now=None if special else failing_now(cause),
        burn_rates=()
        if special
        else tuple((str(w), float(b)) for w, b in burns.items() if b is not None),
        routes=clue.routes,
        impact_start=impact.start if impact else None,
        impact_end=impact.end if impact else None,
        failed=impact.failed if impact else None,
        total=impact.total if impact else None,
        residual_burn=float(residual["burn"]) if "burn" in residual else None,
        residual_window=str(residual["window"]) if "window" in residual else None,
        silent_since=None if silent_since is None else datetime.fromisoformat(str(silent_since)),
        facts=_facts(cause),
    )


_FACT_KEYS = {"certificate", "kubernetes"}  # vigie.probes.certificates, vigie.kube.signals


def _facts(cause: Mapping[str, Any]) -> tuple[tuple[str, int, str, str], ...]:
    """What a probe SLO, a certificate or a Kubernetes signal found (see IncidentLine.facts)."""
    if "kubernetes" in cause:
        k8s = cause["kubernetes"]
        last = int(datetime.fromisoformat(str(k8s["last"])).timestamp())
        return ((str(k8s["object"]), last, f"k8s_{k8s['kind']}", "down" if k8s["down"] else ""),)
    if "certificate" in cause:
        cert = cause["certificate"]
        expires = int(datetime.fromisoformat(str(cert["expires"])).timestamp())
        return ((str(cert["url"]), expires, "certificate", ""),)
    return tuple(
        (
            str(f["url"]),
            int(datetime.fromisoformat(str(f["since"])).timestamp()),
            str(f["outcome"]),
            str(f.get("error_kind") or ""),
        )
        for f in cause.get("probe", ())
    )


def to_notice(
    planned: Planned,
    route: Route,
    covered: Iterable[Incident],
    links: Links,
    now: datetime,
    clues: Mapping[str, Clue] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> Notice:
    """The notice of a plan. ``covered``: open incidents of the apps a platform incident covers
    (listed after it; a club's captains see only their club's). ``clues`` by incident id;
    ``timezone``: the reader's."""
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
        total = platform.cause.get("apps")
        apps = [
            f"{club}/{app}" + (f" ({env})" if env else "")
            for club, app, env in platform.affected
            if route.channel in (ADMINS, club)
        ]
        extra = {
            "platform_incident": platform.id,
            "apps_total": str(total or ""),
            "apps": ", ".join(apps),  # every covered app this channel may know of
        }
    return Notice(
        key=planned.key,
        channel=planned.channel,
        locale=route.locale,
        kind=planned.kind,
        lines=tuple(incident_line(i, links, (clues or {}).get(i.id)) for i in incidents),
        created_at=now,
        mention_user_ids=planned.mentions,
        edit_of=planned.edit_of,
        extra=extra,
        timezone=timezone,
    )
