"""Tokens expire: ``expires_at`` (NULL for tokens created before this migration: no expiry)
and ``updated_at`` (the time of the row; the latest row per hash wins, e.g. a revocation)."""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 40
DESCRIPTION = "API tokens: expiry and time of the latest change"


def statements(ctx: MigrationContext) -> list[str]:
    table = f"{ctx.table('vigie_api_tokens')}{ctx.on_cluster}"
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "
        "expires_at Nullable(DateTime64(3, 'UTC'))",
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "
        "updated_at DateTime64(3, 'UTC') DEFAULT created_at",
    ]
