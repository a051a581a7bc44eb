"""Incident and silence API.

* ``GET /api/v1/incidents`` (``club``, ``app``, ``state`` = open|acknowledged|resolved,
  ``since``): incidents with any change since ``since`` (default: 30 days), newest first;
* ``GET /api/v1/incidents/{id}``: one incident with every event (reason and cause);
* ``POST /api/v1/incidents/{id}/ack``, no body needed: acknowledge as the token's label (else
  ``{"author": …}``); stops reminders and escalation; the announcing Discord messages are edited
  at the next cycle ("Pris en charge par <author> à 02:14"); 409 once resolved;
* ``POST /api/v1/silences`` ``{"club", "app", "slo", "starts_at", "ends_at" | "duration",
  "author", "comment"}``: matchers are exact, empty matches any; 201 with the silence;
* ``GET /api/v1/silences`` (``all=true`` includes expired ones);
* ``DELETE /api/v1/silences/{id}``: expire it now.

Every route needs a token (:mod:`vigie.api.auth`). A captain sees and acts on their own club
only: listings are narrowed to it, and another club's incident or silence answers 404 exactly
like an unknown id. Silences for every club (empty ``club``) are the admins'.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vigie.access.tokens import Principal
from vigie.api.auth import PrincipalDep, scope_club, visible
from vigie.api.deps import IncidentsDep
from vigie.api.params import Id, Moment, Name
from vigie.config.fields import Duration
from vigie.incidents.model import STATES
from vigie.incidents.service import Conflict, IncidentService, NotFound

router = APIRouter(prefix="/api/v1", tags=["incidents"])

DEFAULT_SINCE = timedelta(days=30)
MAX_SILENCE = timedelta(days=366)
State = Annotated[str, Query(pattern=f"^({'|'.join(STATES)})$", description="incident state")]


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"\S",
        description="default: the token's label",
    )  # fmt: skip


def ack_author(principal: Principal, body: AckRequest | None) -> str:
    """Who acknowledges: the signed-in token's label, else the body's ``author``."""
    author = principal.label or (body.author if body is not None else None)
    if not author or not author.strip():
        raise HTTPException(
            422, 'author: who acknowledges? Use a token with a label, or send {"author": "…"}'
        )
    return author.strip()


class SilenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    club: str = Field(default="", max_length=63, description="exact club id; empty: any")
    app: str = Field(default="", max_length=200, description="exact app; empty: any")
    slo: str = Field(default="", max_length=63, description="exact SLO name; empty: any")
    starts_at: Moment | None = Field(default=None, description="default: now")
    ends_at: Moment | None = None
    duration: Duration | None = Field(default=None, description='instead of ends_at, e.g. "2h"')
    author: str = Field(min_length=1, max_length=200, pattern=r"\S")
    comment: str = Field(min_length=1, max_length=1000, pattern=r"\S")

    @model_validator(mode="after")
    def _one_end(self) -> SilenceRequest:
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        if self.duration is not None and self.duration > MAX_SILENCE:
            raise ValueError(f"duration: at most {MAX_SILENCE.days} days")
        return self


def _not_found(what: str, some_id: str) -> HTTPException:
    """The same answer for an unknown id and an id the principal may not see."""
    return HTTPException(404, f"no {what} {some_id}")


def _visible_incident(service: IncidentService, principal: PrincipalDep, incident_id: str) -> Any:
    try:
        incident, events = service.get(incident_id)
    except NotFound:
        raise _not_found("incident", incident_id) from None
    if not visible(principal, incident.club):
        raise _not_found("incident", incident_id)
    return incident, events


@router.get("/incidents")
def list_incidents(
    principal: PrincipalDep,
    service: IncidentsDep,
    club: Name | None = None,
    app: Name | None = None,
    state: State | None = None,
    since: Moment | None = None,
) -> dict[str, Any]:
    club = scope_club(principal, club)
    start = since if since is not None else service.clock() - DEFAULT_SINCE
    found = service.find(club=club, app=app, state=state, since=start)
    return {"since": start.isoformat(), "incidents": [i.as_dict() for i in found]}


@router.get("/incidents/{incident_id}")
def get_incident(principal: PrincipalDep, service: IncidentsDep, incident_id: Id) -> dict[str, Any]:
    incident, events = _visible_incident(service, principal, incident_id)
    return {**incident.as_dict(), "events": [e.as_dict() for e in events]}


@router.post("/incidents/{incident_id}/ack")
def acknowledge(
    principal: PrincipalDep, service: IncidentsDep, incident_id: Id, body: AckRequest | None = None
) -> dict[str, Any]:
    _visible_incident(service, principal, incident_id)
    try:
        return service.acknowledge(incident_id, ack_author(principal, body)).as_dict()
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/silences", status_code=201)
def add_silence(
    principal: PrincipalDep, service: IncidentsDep, body: SilenceRequest
) -> dict[str, Any]:
    if body.club and body.club not in {c.id for c in service.config.clubs}:
        raise HTTPException(422, f"club: unknown club {body.club!r}")
    if not principal.may(body.club or None):
        raise HTTPException(403, "club: this token may silence only its own club")
    if body.ends_at is not None:
        ends = body.ends_at
    else:
        assert body.duration is not None  # checked by the model
        ends = (body.starts_at or service.clock()) + body.duration
    try:
        silence = service.add_silence(
            club=body.club, app=body.app, slo=body.slo, starts_at=body.starts_at, ends_at=ends,
            author=body.author, comment=body.comment,
        )  # fmt: skip
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return silence.as_dict(service.clock())


@router.get("/silences")
def list_silences(
    principal: PrincipalDep,
    service: IncidentsDep,
    include_all: Annotated[bool, Query(alias="all", description="include expired")] = False,
) -> dict[str, Any]:
    found = service.list_silences(include_expired=include_all)
    now = service.clock()
    return {"silences": [s.as_dict(now) for s in found if visible(principal, s.club)]}


@router.delete("/silences/{silence_id}")
def expire_silence(
    principal: PrincipalDep, service: IncidentsDep, silence_id: Id
) -> dict[str, Any]:
    existing = service.silences.get(silence_id)
    if existing is None or not visible(principal, existing.club):
        raise _not_found("silence", silence_id)
    try:
        expired = service.expire_silence(silence_id)
    except NotFound:
        raise _not_found("silence", silence_id) from None
    return expired.as_dict(service.clock())
