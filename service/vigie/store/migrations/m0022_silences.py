"""Silences: matchers (club, app, slo; empty matches any) over a time range.

Each change (creation, expiry) inserts a new version of the silence's row; readers take the
latest by ``version`` (``ReplacingMergeTree`` merges the old ones away eventually).
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 22
DESCRIPTION = "silences: matchers, start, end, author, comment; versioned rows"

TABLE = "vigie_silences"

_COLUMNS = """\
    id String,
    version DateTime64(6, 'UTC'),
    club String,
    app String,
    slo String,
    starts_at DateTime64(3, 'UTC'),
    ends_at DateTime64(3, 'UTC'),
    author String,
    comment String,
    created_at DateTime64(3, 'UTC')"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        TABLE,
        _COLUMNS,
        "ORDER BY id",
        engine="ReplacingMergeTree",
        engine_args="version",
    )
