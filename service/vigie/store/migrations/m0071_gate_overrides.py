"""Rollout gate overrides: who let an app roll out despite the gate, why, and until when.

Versioned rows like silences (migration 22): closing an override early inserts a new version
with ``ends_at`` moved to that instant; readers take the latest version of each id.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 71
DESCRIPTION = "rollout gate overrides: club, app, time range, author, reason; versioned rows"

TABLE = "vigie_gate_overrides"

_COLUMNS = """\
    id String,
    version DateTime64(6, 'UTC'),
    club String,
    app String,
    starts_at DateTime64(3, 'UTC'),
    ends_at DateTime64(3, 'UTC'),
    author String,
    reason String,
    created_at DateTime64(3, 'UTC')"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        TABLE, _COLUMNS, "ORDER BY id", engine="ReplacingMergeTree", engine_args="version"
    )
