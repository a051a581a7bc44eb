"""The page language chosen for a token (``vigie_token_locales``, m0067): admins read every club,
so their language is theirs, not a club's. Keyed by the token's sha256, never the token."""

from __future__ import annotations

from datetime import datetime

from vigie.access.tokens import token_hash
from vigie.reports.model import Locale
from vigie.store import Store

TABLE = "vigie_token_locales"


def locale_of(store: Store, token: str) -> Locale | None:
    if not token:
        return None
    result = store.query(
        f"SELECT argMax(locale, at) FROM {TABLE} WHERE token_hash = {{h:String}}",
        {"h": token_hash(token)},
    )
    found = result.rows[0][0] if result.rows else ""
    return found if found in ("fr", "en") else None  # type: ignore[return-value]


def choose(store: Store, token: str, locale: Locale, now: datetime) -> None:
    store.insert(TABLE, ("token_hash", "locale", "at"), [[token_hash(token), locale, now]])
