"""The audit trail of token uses: who (token id, role, club, label), what (method and route
template), when. Kept two years, whatever the telemetry TTL."""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 41
DESCRIPTION = "audit trail: every use of an API/web token"

_COLUMNS = """\
    at DateTime64(3, 'UTC'),
    token_id LowCardinality(String),
    role LowCardinality(String),
    club LowCardinality(String),
    label String,
    method LowCardinality(String),
    route LowCardinality(String)"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        "vigie_token_uses",
        _COLUMNS,
        "PARTITION BY toYYYYMM(at)\nORDER BY (at, token_id)\n"
        "TTL toDateTime(at) + toIntervalDay(730)",
    )
