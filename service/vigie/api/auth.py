"""Authentication of HTTP requests: a required dependency of every route but the public ones.

A request presents its token as ``Authorization: Bearer …`` (API) or in the ``vigie_token``
cookie set by the login form. :func:`require_principal` (``PrincipalDep``) answers 401 without a
valid token (missing, malformed, unknown, expired or revoked: the same answer) and records the
use in the audit trail. :func:`check_guarded` makes an app refuse to start when one of its routes
lacks it, so a new route is protected by default.

Club scope: :func:`visible` is the one rule for "may this principal see this club's thing";
callers answer 404 for what the principal may not see, exactly as for what does not exist, so
nobody learns which ids exist.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant

from vigie.access.tokens import Principal
from vigie.api.deps import ServicesDep

COOKIE = "vigie_token"
MAX_TOKEN_CHARS = 200


def presented_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    return token if len(token) <= MAX_TOKEN_CHARS else ""


def lookup_principal(request: Request, services: ServicesDep) -> Principal | None:
    """The request's principal (looked up once per request, its use recorded once)."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    principal = services.tokens.lookup(presented_token(request))
    request.state.principal = principal
    if principal is not None:
        path = getattr(request.scope.get("route"), "path", request.url.path)
        services.audit.record(principal, request.method, path)
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(lookup_principal)]


def require_principal(principal: OptionalPrincipalDep) -> Principal:
    if principal is None:
        raise HTTPException(
            401, "a valid token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise HTTPException(403, "admins only")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def scope_club(principal: Principal, club: str | None) -> str | None:
    """The club filter a listing runs with: a captain's own club (403 for another one)."""
    if principal.is_admin:
        return club
    if club is not None and club != principal.club:
        raise HTTPException(403, "this token sees only its own club")
    return principal.club


def visible(principal: Principal, club: str) -> bool:
    """Whether the principal may see something of ``club`` ("": every club, admins only)."""
    return principal.may(club or None)


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


@dataclass(frozen=True)
class Endpoint:
    path: str  # the template, e.g. /api/v1/incidents/{incident_id}
    methods: frozenset[str]
    dependant: Dependant


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every FastAPI route of ``app`` with its effective dependencies (those of the routers it
    was included with too). FastAPI ≥ 0.165 keeps included routers lazily: read them through
    its route contexts."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: Iterable[Any] = iterate(app.routes) if iterate is not None else app.routes
    found = []
    for route in routes:
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant):
            found.append(Endpoint(route.path, frozenset(route.methods or ()), dependant))
    return found


def check_guarded(
    app: FastAPI, public: Collection[str], guards: Collection[object] = (require_principal,)
) -> None:
    """Refuse an app where a route outside ``public`` (path templates) does not depend on one
    of ``guards`` (dependencies that refuse a request without a principal): auth fails closed."""
    unguarded = [
        e.path
        for e in endpoints(app)
        if e.path not in public and not (set(guards) & _calls(e.dependant))
    ]
    if unguarded:
        raise RuntimeError(f"routes without authentication: {', '.join(sorted(unguarded))}")
