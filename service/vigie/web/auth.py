"""Tokens and who holds them: an admin (every club) or a club captain (that club only).

A token is 32 random bytes (URL-safe base64), shown once; only its sha256 is stored
(``vigie_api_tokens``, migration 0031). A request presents it as ``Authorization: Bearer …``
(API) or in the ``vigie_token`` cookie set by the login form (HttpOnly, SameSite=Strict).

:func:`authorize` is the hook the incident API calls (``app.state.authorize``) and that the
report API and pages call too: no token → 401, a club that is not the captain's → 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from fastapi import HTTPException, Request

from vigie.store import Store

TABLE = "vigie_api_tokens"
COOKIE = "vigie_token"
Role = Literal["admin", "captain"]


@dataclass(frozen=True)
class Principal:
    role: Role
    club: str  # "" for an admin
    label: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, club: str | None) -> bool:
        """Whether this token may act on ``club`` (None: every club, admins only)."""
        return self.is_admin or (club is not None and club == self.club)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.clock = clock

    def create(self, role: Role, club: str = "", label: str = "") -> str:
        """A new token (returned once, never stored in clear)."""
        if role == "captain" and not club:
            raise ValueError("a captain token needs a club")
        if role == "admin" and club:
            raise ValueError("an admin token has no club")
        token = secrets.token_urlsafe(32)
        self.store.insert(
            TABLE,
            ("token_hash", "role", "club", "label", "created_at", "revoked"),
            [[token_hash(token), role, club, label, self.clock(), 0]],
        )
        return token

    def lookup(self, token: str) -> Principal | None:
        if not token:
            return None
        digest = token_hash(token)
        result = self.store.query(
            f"SELECT token_hash, role, club, label, revoked FROM {TABLE} "
            "WHERE token_hash = {h:String} ORDER BY created_at DESC LIMIT 1",
            {"h": digest},
        )
        if not result.rows:
            return None
        stored, role, club, label, revoked = result.rows[0]
        if revoked or not hmac.compare_digest(str(stored), digest):
            return None
        return Principal(role, club, label)


def presented_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE, "")


def principal_of(request: Request) -> Principal | None:
    """The request's principal (looked up once per request)."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    tokens: TokenStore | None = getattr(request.app.state, "tokens", None)
    principal = tokens.lookup(presented_token(request)) if tokens is not None else None
    request.state.principal = principal
    return principal


def authorize(request: Request, action: str, club: str | None) -> Principal:
    """401 without a valid token, 403 when the token may not act on ``club``."""
    principal = principal_of(request)
    if principal is None:
        raise HTTPException(401, "a token is required", headers={"WWW-Authenticate": "Bearer"})
    if not principal.may(club):
        raise HTTPException(403, f"this token may not {action} here")
    return principal
