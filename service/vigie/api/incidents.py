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

Dependencies come from ``request.app.state``: ``incidents`` (a
:class:`vigie.incidents.service.IncidentService`, which holds the store, config and clock).

Auth hook: every endpoint calls :func:`authorize` with an action and the club concerned. When
``request.app.state.authorize`` is set (a callable ``(request, action, club) -> None`` raising
``HTTPException(401|403)``), it decides; until API tokens exist (a later issue) all is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vigie.api.state import running
from vigie.config.fields import Duration
from vigie.errors import StoreError
from vigie.incidents.model import STATES
from vigie.incidents.service import Conflict, IncidentService, NotFound

router = APIRouter(prefix="/api/v1", tags=["incidents"])

DEFAULT_SINCE = timedelta(days=30)
Authorize = Callable[[Request, str, str | None], None]


def authorize(request: Request, action: str, club: str | None) -> None:
    """The auth hook (see the module docstring). ``club`` None: all clubs (admin scope)."""
    check: Authorize | None = getattr(request.app.state, "authorize", None)
    if check is not None:
        check(request, action, club)


def get_incidents(request: Request) -> IncidentService:
    return running(request, "incidents", IncidentService, "incident service")


IncidentsDep = Annotated[IncidentService, Depends(get_incidents)]


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author: str | None = Field(
        default=None, min_length=1, max_length=200, description="default: the token's label"
    )


def ack_author(request: Request, body: AckRequest | None) -> str:
    """Who acknowledges: the signed-in token's label, else the body's ``author``."""
    principal = getattr(request.state, "principal", None)
    label = getattr(principal, "label", "") if principal is not None else ""
    author = label or (body.author if body is not None else None)
    if not author or not author.strip():
        raise HTTPException(
            422, 'who acknowledges? Use a token with a label, or send {"author": "…"}'
        )
    return author.strip()


class SilenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    club: str = Field(default="", max_length=63, description="exact club id; empty: any")
    app: str = Field(default="", max_length=200, description="exact app; empty: any")
    slo: str = Field(default="", max_length=63, description="exact SLO name; empty: any")
    starts_at: datetime | None = Field(default=None, description="default: now")
    ends_at: datetime | None = None
    duration: Duration | None = Field(default=None, description='instead of ends_at, e.g. "2h"')
    author: str = Field(min_length=1, max_length=200)
    comment: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_end(self) -> SilenceRequest:
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        return self


def _unavailable(exc: StoreError) -> HTTPException:
    return HTTPException(503, f"cannot reach the incident store: {exc}")


@router.get("/incidents")
def list_incidents(
    request: Request,
    service: IncidentsDep,
    club: str | None = None,
    app: str | None = None,
    state: Annotated[str | None, Query(description=f"one of {', '.join(STATES)}")] = None,
    since: datetime | None = None,
) -> dict[str, Any]:
    authorize(request, "incidents:read", club)
    if state is not None and state not in STATES:
        raise HTTPException(422, f"state must be one of {', '.join(STATES)}")
    start = _utc(since) if since is not None else service.clock() - DEFAULT_SINCE
    try:
        found = service.find(club=club, app=app, state=state, since=start)
    except StoreError as exc:
        raise _unavailable(exc) from None
    return {"since": start.isoformat(), "incidents": [i.as_dict() for i in found]}


@router.get("/incidents/{incident_id}")
def get_incident(request: Request, service: IncidentsDep, incident_id: str) -> dict[str, Any]:
    try:
        incident, events = service.get(incident_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except StoreError as exc:
        raise _unavailable(exc) from None
    authorize(request, "incidents:read", incident.club or None)
    return {**incident.as_dict(), "events": [e.as_dict() for e in events]}


@router.post("/incidents/{incident_id}/ack")
def acknowledge(
    request: Request, service: IncidentsDep, incident_id: str, body: AckRequest | None = None
) -> dict[str, Any]:
    try:
        incident, _ = service.get(incident_id)
        authorize(request, "incidents:ack", incident.club or None)
        return service.acknowledge(incident_id, ack_author(request, body)).as_dict()
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except StoreError as exc:
        raise _unavailable(exc) from None


@router.post("/silences", status_code=201)
def add_silence(request: Request, service: IncidentsDep, body: SilenceRequest) -> dict[str, Any]:
    authorize(request, "silences:write", body.club or None)
    starts = _utc(body.starts_at) if body.starts_at else None
    if body.ends_at is not None:
        ends = _utc(body.ends_at)
    else:
        assert body.duration is not None  # checked by the model
        ends = (starts or service.clock()) + body.duration
    try:
        silence = service.add_silence(
            club=body.club, app=body.app, slo=body.slo, starts_at=starts, ends_at=ends,
            author=body.author, comment=body.comment,
        )  # fmt: skip
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    except StoreError as exc:
        raise _unavailable(exc) from None
    return silence.as_dict(service.clock())


@router.get("/silences")
def list_silences(
    request: Request,
    service: IncidentsDep,
    include_all: Annotated[bool, Query(alias="all", description="include expired")] = False,
) -> dict[str, Any]:
    authorize(request, "silences:read", None)
    try:
        found = service.list_silences(include_expired=include_all)
    except StoreError as exc:
        raise _unavailable(exc) from None
    now = service.clock()
    return {"silences": [s.as_dict(now) for s in found]}


@router.delete("/silences/{silence_id}")
def expire_silence(request: Request, service: IncidentsDep, silence_id: str) -> dict[str, Any]:
    try:
        existing = service.silences.get(silence_id)
        authorize(request, "silences:write", existing.club or None if existing else None)
        expired = service.expire_silence(silence_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except StoreError as exc:
        raise _unavailable(exc) from None
    return expired.as_dict(service.clock())


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
