"""Token API, admins only.

* ``POST /api/v1/tokens`` ``{"role", "club", "label", "expires_at"}``: a new token, shown once
  in the answer (201); ``expires_at`` defaults to the end of the academic year (31 August);
* ``GET /api/v1/tokens``: every token (id, role, club, label, dates, state), never the token;
* ``DELETE /api/v1/tokens/{id}``: revoke it now;
* ``GET /api/v1/tokens/uses`` (``limit``): the audit trail, newest first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from vigie.access.tokens import Role, UnknownToken
from vigie.api.auth import AdminDep
from vigie.api.deps import ServicesDep, TokensDep
from vigie.api.params import Id, Moment

router = APIRouter(prefix="/api/v1", tags=["tokens"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    club: str = Field(default="", max_length=63)
    label: str = Field(default="", max_length=200)
    expires_at: Moment | None = Field(default=None, description="default: next 31 August")


@router.post("/tokens", status_code=201)
def create_token(_: AdminDep, services: ServicesDep, body: TokenRequest) -> dict[str, Any]:
    if body.club and body.club not in {c.id for c in services.config.clubs}:
        raise HTTPException(422, f"club: unknown club {body.club!r}")
    try:
        token, info = services.tokens.create(body.role, body.club, body.label, body.expires_at)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"token": token, **info.as_dict(services.clock())}


@router.get("/tokens")
def list_tokens(_: AdminDep, services: ServicesDep) -> dict[str, Any]:
    now = services.clock()
    return {"tokens": [info.as_dict(now) for info in services.tokens.list()]}


@router.get("/tokens/uses")
def token_uses(
    _: AdminDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    uses = services.audit.uses(limit)
    return {"uses": [{**u, "at": u["at"].isoformat()} for u in uses]}  # type: ignore[attr-defined]


@router.delete("/tokens/{token_id}")
def revoke_token(
    _: AdminDep, tokens: TokensDep, services: ServicesDep, token_id: Id
) -> dict[str, Any]:
    try:
        info = tokens.revoke(token_id)
    except UnknownToken as exc:
        raise HTTPException(404, str(exc)) from None
    return info.as_dict(services.clock())
