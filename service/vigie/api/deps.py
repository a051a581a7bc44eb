"""The services HTTP handlers use, as typed FastAPI dependencies.

The composition root (:mod:`vigie.server`) builds one :class:`Services` and installs it with
:func:`install`; handlers declare what they need (``IncidentsDep``, ``ReportsDep`` …) and never
look anything up by name. Until the services exist (the store is not reachable yet, or the app is
shutting down) every handler that needs them answers 503.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request

from vigie.access.audit import AuditTrail
from vigie.access.tokens import TokenStore
from vigie.config import Config
from vigie.gate.service import GateService
from vigie.incidents.service import IncidentService
from vigie.reports.service import ReportService
from vigie.slo.evaluator import Evaluator


@dataclass
class Services:
    config: Config
    incidents: IncidentService
    reports: ReportService
    evaluator: Evaluator
    gate: GateService
    tokens: TokenStore
    audit: AuditTrail
    clock: Callable[[], datetime]
    public_url: str = ""  # its origin is one form posts may come from
    # signs the per-session CSRF tokens of the pages; a new one at each start
    session_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))


@dataclass
class Slot:
    """Where an app keeps its services: empty until the runtime is up."""

    services: Services | None = None


def install(app: FastAPI, services: Services | None) -> Slot:
    slot = getattr(app.state, "vigie", None)
    if not isinstance(slot, Slot):
        slot = Slot()
        app.state.vigie = slot
    slot.services = services
    return slot


def get_services(request: Request) -> Services:
    slot = getattr(request.app.state, "vigie", None)
    if not isinstance(slot, Slot) or slot.services is None:
        raise HTTPException(503, "Vigie is starting or its store is unavailable")
    return slot.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_incidents(services: ServicesDep) -> IncidentService:
    return services.incidents


def get_reports(services: ServicesDep) -> ReportService:
    return services.reports


def get_evaluator(services: ServicesDep) -> Evaluator:
    return services.evaluator


def get_tokens(services: ServicesDep) -> TokenStore:
    return services.tokens


IncidentsDep = Annotated[IncidentService, Depends(get_incidents)]
ReportsDep = Annotated[ReportService, Depends(get_reports)]
EvaluatorDep = Annotated[Evaluator, Depends(get_evaluator)]
TokensDep = Annotated[TokenStore, Depends(get_tokens)]
