"""The incident page's buttons: acknowledge, silence for a chosen time, unsilence, and let a
rollout of the app through the gate for a while (:mod:`vigie.gate.overrides`).

Each is a plain form POST (a hidden CSRF field can be added to every form) answered by a redirect
to the incident page with what happened (``?done=``) or why not (``?error=``). They call the same
incident service as the API: an acknowledgement is recorded with the token's label as author
(the Discord messages are edited at the next cycle); a silence matches the incident's club, app
and SLO. A captain acts on their club only and lifts only silences scoped to their club.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from vigie.access.tokens import Principal
from vigie.api.deps import get_services
from vigie.incidents.model import Incident
from vigie.incidents.service import Conflict, NotFound
from vigie.web.common import author_of, form_of, readable_incident, service_of

router = APIRouter(include_in_schema=False)
OVERRIDE_DURATIONS = ("1h", "4h", "12h", "24h")  # an override lasts 24 hours at most
DURATIONS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "12h": timedelta(hours=12),
    "24h": timedelta(days=1),
    "3d": timedelta(days=3),
}


def _back(incident_id: str, **outcome: str) -> RedirectResponse:
    query = "&".join(f"{k}={quote(v)}" for k, v in outcome.items())
    return RedirectResponse(f"/incidents/{quote(incident_id)}?{query}", status_code=303)


def _chosen(
    form: dict[str, str], choices: Collection[str], field: str
) -> tuple[timedelta, str] | str:
    """The chosen duration and the text of ``field``, or the error key of what is missing."""
    choice, text = form.get("duration", ""), form.get(field, "").strip()[:500]
    if choice not in choices:
        return "duration"
    if not text:
        return field
    return DURATIONS[choice], text


async def _acting(
    request: Request, incident_id: str
) -> tuple[Incident, Principal, dict[str, str]] | Response:
    """The incident, who acts on it and the form; or the response to send instead."""
    found = readable_incident(request, incident_id)
    if not isinstance(found, tuple):
        return found
    return (*found, await form_of(request))


@router.post("/incidents/{incident_id}/ack")
async def acknowledge(request: Request, incident_id: str) -> Response:
    acting = await _acting(request, incident_id)
    if not isinstance(acting, tuple):
        return acting
    incident, principal, _ = acting
    try:
        service_of(request).incidents.acknowledge(incident.id, author_of(principal))
    except Conflict:
        return _back(incident.id, error="resolved")
    return _back(incident.id, done="ack")


@router.post("/incidents/{incident_id}/silence")
async def silence(request: Request, incident_id: str) -> Response:
    acting = await _acting(request, incident_id)
    if not isinstance(acting, tuple):
        return acting
    incident, principal, form = acting
    chosen = _chosen(form, DURATIONS, "comment")
    if isinstance(chosen, str):
        return _back(incident.id, error=chosen)
    length, comment = chosen
    service = service_of(request).incidents
    now = service.clock()
    try:
        service.add_silence(
            club=incident.club, app=incident.app, slo=incident.slo, starts_at=now,
            ends_at=now + length, author=author_of(principal), comment=comment,
        )  # fmt: skip
    except ValueError:
        return _back(incident.id, error="silence")
    return _back(incident.id, done="silenced")


@router.post("/incidents/{incident_id}/unsilence")
async def unsilence(request: Request, incident_id: str) -> Response:
    acting = await _acting(request, incident_id)
    if not isinstance(acting, tuple):
        return acting
    incident, principal, _ = acting
    service = service_of(request).incidents
    now = service.clock()
    lifted = 0
    for s in service.list_silences():
        if s.matches(incident) and s.state(now) == "active" and principal.may(s.club or None):
            try:
                service.expire_silence(s.id)
                lifted += 1
            except NotFound:
                continue
    return _back(incident.id, done="unsilenced") if lifted else _back(incident.id, error="none")


@router.post("/incidents/{incident_id}/gate-override")
async def gate_override(request: Request, incident_id: str) -> Response:
    acting = await _acting(request, incident_id)
    if not isinstance(acting, tuple):
        return acting
    incident, principal, form = acting
    chosen = _chosen(form, OVERRIDE_DURATIONS, "reason")
    if isinstance(chosen, str):
        return _back(incident.id, error=chosen)
    length, reason = chosen
    try:
        get_services(request).gate.open_override(
            incident.club, incident.app, duration=length,
            author=author_of(principal), reason=reason,
        )  # fmt: skip
    except (NotFound, ValueError):
        return _back(incident.id, error="override")
    return _back(incident.id, done="override")
