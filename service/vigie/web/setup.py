"""Wiring of reports, pages and tokens into the FastAPI application.

* :func:`include_routers` (when the app is built): the report API, the token API, the pages;
* :func:`attach` (once the store and the incident service exist, e.g. in the lifespan): sets
  ``app.state.reports`` (:class:`~vigie.reports.service.ReportService`), ``app.state.tokens``
  (:class:`~vigie.web.auth.TokenStore`) and ``app.state.authorize`` (the auth hook the incident
  API calls). The incident API's ``app.state.incidents`` is the service the reports use;
* :func:`install`: both at once (tests).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from vigie.api import reports as reports_api
from vigie.reports.service import ReportService
from vigie.web import pages
from vigie.web.auth import Role, TokenStore, authorize

tokens_router = APIRouter(prefix="/api/v1", tags=["tokens"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    club: str = Field(default="", max_length=63)
    label: str = Field(default="", max_length=200)


@tokens_router.post("/tokens", status_code=201)
def create_token(request: Request, body: TokenRequest) -> dict[str, Any]:
    """Admins only: a new token, shown once in the answer."""
    authorize(request, "create tokens", None)
    reports: ReportService = request.app.state.reports
    if body.role == "captain":
        try:
            reports.incidents.config.alerts.club(body.club)
        except KeyError:
            raise HTTPException(422, f"unknown club {body.club!r}") from None
    tokens: TokenStore = request.app.state.tokens
    try:
        token = tokens.create(body.role, body.club, body.label)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"token": token, "role": body.role, "club": body.club, "label": body.label}


def _hook(request: Request, action: str, club: str | None) -> None:
    authorize(request, action, club)


def include_routers(app: FastAPI) -> None:
    app.include_router(reports_api.router)
    app.include_router(tokens_router)
    app.include_router(pages.router)


def attach(app: FastAPI, reports: ReportService) -> None:
    app.state.reports = reports
    app.state.tokens = TokenStore(reports.incidents.store, reports.incidents.clock)
    app.state.authorize = _hook


def install(app: FastAPI, reports: ReportService) -> None:
    include_routers(app)
    attach(app, reports)
