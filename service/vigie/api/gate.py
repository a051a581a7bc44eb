"""The Argo Rollouts gate and its overrides.

* ``GET /api/v1/gate/{club}/{app}`` (``canary``, ``stable``: ``service.version`` values;
  ``window``: minutes, 1 to 60, default 10): the ``web`` metric of an analysis. With ``canary``,
  the canary's requests are compared with the stable version's (or every other version's) and
  with each SLO's objective (:mod:`vigie.slo.canary`); without it, the whole app is judged on
  its SLO states. ``verdict`` is ``ok``, ``fail`` or ``inconclusive``. Open to Argo without a
  token, which gets the verdict and the names of the SLOs that decided it only; the club's
  captain and admins also get the counts and reasons. 404 for an unknown app; 503 when the
  store cannot answer.
* ``POST /api/v1/gate/{club}/{app}/override`` ``{"duration": "2h", "reason": …, "author": …}``:
  let the app roll out whatever the gate says, for at most 24 hours (admins and the club's
  captain; another club's app answers 404 like an unknown one); recorded in the app's open
  incidents;
* ``GET /api/v1/gate-overrides``; ``DELETE /api/v1/gate-overrides/{id}`` (``author`` query).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from vigie.api.auth import OptionalPrincipalDep, PrincipalDep, visible
from vigie.api.deps import ServicesDep
from vigie.config.fields import Duration
from vigie.gate import verdict
from vigie.gate.service import GateService
from vigie.incidents.service import NotFound

router = APIRouter(prefix="/api/v1", tags=["gate"])

VERSION = Annotated[str | None, Query(max_length=128,
                                      description='a service.version value ("": none)')]


def get_gate(services: ServicesDep) -> GateService:
    return services.gate


GateDep = Annotated[GateService, Depends(get_gate)]


class OverrideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration: Duration = Field(description='how long, at most "24h", e.g. "2h"')
    reason: str = Field(min_length=1, max_length=1000)
    author: str = Field(min_length=1, max_length=200)



@router.get("/gate/{club}/{app}")
def gate(
    service: GateDep,
    principal: OptionalPrincipalDep,
    club: str,
    app: str,
    canary: VERSION = None,
    stable: VERSION = None,
    window: Annotated[int, Query(ge=1, le=60, description="minutes of analysis")] = 10,
) -> dict[str, Any]:
    """For an Argo Rollouts ``web`` metric: ``successCondition: result.verdict == "ok"``."""
    canary, stable = canary or None, stable or None  # a template's empty argument: none
    if stable is not None and canary is None:
        raise HTTPException(422, "stable: only with canary")
    try:
        body = service.judge(club, app, canary=canary, stable=stable,
                             window=timedelta(minutes=window))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    if principal is None or not visible(principal, club):
        return verdict.public(body)  # Argo, or anyone: the verdict, not the app's numbers
    return body


@router.post("/gate/{club}/{app}/override", status_code=201)
def open_override(principal: PrincipalDep, service: GateDep, club: str, app: str,
                  body: OverrideRequest) -> dict[str, Any]:
    if not visible(principal, club):
        raise HTTPException(404, f"no SLO for app {app!r} of club {club!r}")
    try:
        override = service.open_override(club, app, duration=body.duration,
                                         author=body.author, reason=body.reason)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return override.as_dict(service.clock())


@router.get("/gate-overrides")
def list_overrides(principal: PrincipalDep, service: GateDep) -> dict[str, Any]:
    found = service.list_overrides()
    now = service.clock()
    return {"overrides": [o.as_dict(now) for o in found if visible(principal, o.club)]}


@router.delete("/gate-overrides/{override_id}")
def close_override(principal: PrincipalDep, service: GateDep, override_id: str,
                   author: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    try:
        existing = next((o for o in service.list_overrides() if o.id == override_id), None)
        if existing is None or not visible(principal, existing.club):
            raise NotFound(f"no override {override_id}")
        closed = service.close_override(override_id, author)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return closed.as_dict(service.clock())
