"""Inhibition: when the platform itself fails, one platform incident instead of forty.

The platform condition (:func:`platform_condition`) holds when

* telemetry stopped for most apps (every SLO of at least :data:`STALE_SHARE` of the apps reports
  ``no_data``: the pipeline, not the apps, is broken), or
* more than ``policy.platform_incident_share`` of the apps page at once,

and at least :data:`MIN_APPS` apps are affected (two apps of one club failing together are two
incidents, not a platform failure). While the platform incident is open, the incidents of the
apps it covers are not announced one by one (:func:`inhibited_by`): the admins get the platform
incident, each club one short "platform incident, not your app" notice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from vigie.incidents.model import AppKey, Incident, Severity
from vigie.slo.evaluator import SloStatus

STALE_SHARE = 0.5
MIN_APPS = 3


@dataclass(frozen=True)
class PlatformCondition:
    holds: bool
    severity: Severity
    reason: str
    affected: tuple[AppKey, ...]
    apps: int  # apps evaluated


def app_key(status: SloStatus) -> AppKey:
    t = status.target
    return (t.club, t.app, t.environment or "")


def platform_condition(
    statuses: Iterable[SloStatus], share: float, dead: Collection[str] = ()
) -> PlatformCondition:
    """Whether the platform as a whole fails, which apps it covers, and why. ``dead``: the
    service names that receive no request any more (:mod:`.liveness`): many at once is the
    ingestion failing, not every app at the same minute."""
    states: dict[AppKey, set[str]] = {}
    for status in statuses:
        states.setdefault(app_key(status), set()).add(status.decision.state)
    apps = len(states)
    stale = tuple(sorted(k for k, s in states.items() if s == {"no_data"} or k[1] in dead))
    paging = tuple(sorted(k for k, s in states.items() if "page" in s))
    if apps and len(stale) >= MIN_APPS and len(stale) / apps >= STALE_SHARE:
        affected = tuple(sorted({*stale, *paging}))
        reason = (
            f"telemetry stopped for {len(stale)} of {apps} apps "
            f"(>= {STALE_SHARE:.0%}): ingestion, not the apps"
        )
        return PlatformCondition(True, "page" if paging else "no_data", reason, affected, apps)
    if apps and len(paging) >= MIN_APPS and len(paging) / apps > share:
        reason = f"{len(paging)} of {apps} apps page at once (> {share:.0%})"
        return PlatformCondition(True, "page", reason, paging, apps)
    return PlatformCondition(
        False,
        "page",
        f"{len(paging)} of {apps} apps paging, {len(stale)} without telemetry",
        (),
        apps,
    )


def inhibited_by(incident: Incident, platform: Incident | None) -> str | None:
    """The reason this incident's own announcement is held back, if the platform one covers it."""
    if platform is None or not platform.is_open or incident.is_platform:
        return None
    if incident.app_key in platform.affected:
        return f"covered by platform incident {platform.id}"
    return None
