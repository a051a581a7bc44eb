"""Tokens and who holds them: an admin (every club) or a club captain (that club only).

A token is 32 random bytes (URL-safe base64), shown once; only its sha256 is stored
(``vigie_api_tokens``). Its public id is the first :data:`ID_LENGTH` hex digits of that hash: it
names the token in listings, revocations and the audit trail without revealing it.

Rows are append-only: revoking a token adds a row with ``revoked = 1`` and a later
``updated_at``; the latest row per hash wins. Every token expires (default: the end of the
academic year, see :func:`academic_year_end`); rows written before expiries existed have none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from vigie.store import Store
from vigie.store.tables import API_TOKENS

Role = Literal["admin", "captain"]
ID_LENGTH = 12
# A token created within this margin of 31 August lasts until the next one.
MIN_LIFETIME = timedelta(days=30)

_COLUMNS = ("token_hash", "role", "club", "label", "created_at", "revoked", "expires_at",
            "updated_at")  # fmt: skip


class UnknownToken(LookupError):
    """No token with this id."""


@dataclass(frozen=True)
class Principal:
    """Who presented a valid token."""

    token_id: str
    role: Role
    club: str  # "" for an admin
    label: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, club: str | None) -> bool:
        """Whether this token may act on ``club`` (None: every club, admins only)."""
        return self.is_admin or (club is not None and club == self.club)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    token_id: str
    role: Role
    club: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

    def state(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def as_dict(self, now: datetime) -> dict[str, object]:
        return {
            "id": self.token_id,
            "role": self.role,
            "club": self.club,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "state": self.state(now),
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def academic_year_end(now: datetime) -> datetime:
    """The default expiry: the end of the next 31 August (UTC), at least :data:`MIN_LIFETIME`
    away, since captains change with the academic year."""
    year = now.year
    while True:
        end = datetime(year, 9, 1, tzinfo=UTC)
        if end - now >= MIN_LIFETIME:
            return end
        year += 1


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class TokenStore:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.clock = clock

    def create(
        self, role: Role, club: str = "", label: str = "", expires_at: datetime | None = None
    ) -> tuple[str, TokenInfo]:
        """A new token (returned once, never stored in clear) and how it is listed."""
        if role == "captain" and not club:
            raise ValueError("club: a captain token needs a club")
        if role == "admin" and club:
            raise ValueError("club: an admin token has no club")
        now = self.clock()
        expires = _utc(expires_at) if expires_at is not None else academic_year_end(now)
        if expires <= now:
            raise ValueError("expires_at: must be in the future")
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        self.store.insert(API_TOKENS, _COLUMNS, [[digest, role, club, label, now, 0, expires, now]])
        return token, TokenInfo(digest[:ID_LENGTH], role, club, label, now, expires, False)

    def _latest(self, where: str, params: dict[str, str]) -> list[tuple[object, ...]]:
        result = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {API_TOKENS} WHERE {where} "
            "ORDER BY token_hash, updated_at DESC LIMIT 1 BY token_hash",
            params,
        )
        return result.rows

    def lookup(self, token: str) -> Principal | None:
        """The principal of a valid token; None when unknown, revoked or expired."""
        if not token:
            return None
        digest = token_hash(token)
        rows = self._latest("token_hash = {h:String}", {"h": digest})
        if not rows:
            return None
        info = _info(rows[0])
        if not hmac.compare_digest(str(rows[0][0]), digest) or info.state(self.clock()) != "active":
            return None
        return Principal(info.token_id, info.role, info.club, info.label)

    def list(self) -> list[TokenInfo]:
        """Every token, newest first."""
        infos = [_info(row) for row in self._latest("1", {})]
        return sorted(infos, key=lambda i: i.created_at, reverse=True)

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token with this id (:class:`UnknownToken` when none)."""
        if len(token_id) != ID_LENGTH or any(c not in "0123456789abcdef" for c in token_id):
            raise UnknownToken(f"no token {token_id}")
        rows = self._latest("startsWith(token_hash, {p:String})", {"p": token_id})
        if len(rows) != 1:
            raise UnknownToken(f"no token {token_id}")
        digest, role, club, label, created, _, expires, _ = rows[0]
        self.store.insert(
            API_TOKENS, _COLUMNS, [[digest, role, club, label, created, 1, expires, self.clock()]]
        )
        return _info((digest, role, club, label, created, 1, expires, None))


def _info(row: tuple[object, ...]) -> TokenInfo:
    digest, role, club, label, created, revoked, expires = row[:7]
    assert isinstance(created, datetime)
    assert expires is None or isinstance(expires, datetime)
    return TokenInfo(
        str(digest)[:ID_LENGTH], role, str(club), str(label), _utc(created),  # type: ignore[arg-type]
        _utc(expires) if expires is not None else None, bool(revoked),
    )  # fmt: skip
