"""The language a token's holder chose for the pages (admins: captains read their club's).

Keyed by the token's sha256 like ``vigie_api_tokens``; the latest row per hash wins.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 67
DESCRIPTION = "per-token page language"

TABLE = "vigie_token_locales"

_COLUMNS = """\
    token_hash String,
    locale LowCardinality(String),
    at DateTime64(6, 'UTC')"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(TABLE, _COLUMNS, "ORDER BY (token_hash, at)")
