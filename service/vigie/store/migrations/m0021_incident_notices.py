"""The notification log: which notice told which channel about which incident changes.

Like Alertmanager's nflog, it is what grouping reads to decide what is still to be said
(``group_wait``, ``group_interval``, ``repeat_interval``) and which message an edit targets. A row
is written after the notice is handed to the delivery outbox; a crash in between recomputes the
same notice with the same key, which the outbox ignores.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 21
DESCRIPTION = "incident notification log: notices per channel with their incidents"

TABLE = "vigie_incident_notices"

_COLUMNS = """\
    key String,
    channel LowCardinality(String),
    kind LowCardinality(String),
    incident_ids Array(String),
    seqs Array(UInt32),
    created_at DateTime64(3, 'UTC'),
    edit_of String"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        TABLE,
        _COLUMNS,
        "PARTITION BY toYYYYMM(created_at)\nORDER BY (channel, created_at, key)",
    )
