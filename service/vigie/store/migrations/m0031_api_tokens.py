"""API and web tokens, stored hashed: sha256 of a random 32-byte token, never the token.

``role`` is ``admin`` (every club) or ``captain`` (``club`` only). A revoked token gets a new row
with ``revoked = 1`` (append-only; the latest row per hash wins).
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 31
DESCRIPTION = "API tokens: sha256 hashes with role and club"

TABLE = "vigie_api_tokens"

_COLUMNS = """\
    token_hash String,
    role LowCardinality(String),
    club LowCardinality(String),
    label String,
    created_at DateTime64(3, 'UTC'),
    revoked UInt8"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(TABLE, _COLUMNS, "ORDER BY (token_hash, created_at)")
