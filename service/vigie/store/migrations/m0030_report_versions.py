"""Post-incident reports: every version of every draft, append-only.

Version 1 is the generated draft (author ``vigie``); each save appends the next version with the
whole document (facts snapshot, human sections, action items), never a diff, so any version can
be shown alone. Rows are never updated; the latest version of a report is ``max(version)``.
Writers are serialised in-process (:mod:`vigie.reports.store`): see docs/reports.md.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 30
DESCRIPTION = "post-incident report versions: append-only, one row per saved version"

TABLE = "vigie_report_versions"

_COLUMNS = """\
    incident_id String,
    version UInt32,
    kind LowCardinality(String),
    locale LowCardinality(String),
    author String,
    created_at DateTime64(3, 'UTC'),
    facts String CODEC(ZSTD(1)),
    sections String CODEC(ZSTD(1)),
    action_items String CODEC(ZSTD(1))"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        TABLE, _COLUMNS, "PARTITION BY toYYYYMM(created_at)\nORDER BY (incident_id, version)"
    )
