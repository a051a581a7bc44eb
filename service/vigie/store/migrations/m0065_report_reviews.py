"""The review process of post-incident reports: owner, status, reviewer; append-only.

One row per change: the owner assigned when the draft is created, the move to review (with the
reviewer named), the publication (with the version published). The latest row of a report is its
current state; who did what and when stays readable (docs/reports.md).
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 65
DESCRIPTION = "post-incident report reviews: owner, status draft/in_review/published, reviewer"

TABLE = "vigie_report_reviews"

_COLUMNS = """\
    incident_id String,
    club LowCardinality(String),
    at DateTime64(6, 'UTC'),
    status LowCardinality(String),
    actor String,
    owner String,
    reviewer String,
    version UInt32"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(TABLE, _COLUMNS, "ORDER BY (incident_id, at)")
