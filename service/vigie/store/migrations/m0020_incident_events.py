"""Incidents as an append-only log of events; the current state is folded from it.

One row per state change of one incident (opened, escalated, calm, resolved, reopened,
acknowledged, silenced, …), numbered per incident by ``seq``. Rows are never updated: a restart
folds the log and resumes where it stopped (see :mod:`vigie.incidents.state`). ``cause`` is the
JSON of what made the change (SLO state, reason, burn rates, fired pairs, budget).
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 20
DESCRIPTION = "incident events: append-only log of every incident state change"

TABLE = "vigie_incident_events"

_COLUMNS = """\
    incident_id String,
    seq UInt32,
    at DateTime64(3, 'UTC'),
    evaluation_at DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    club LowCardinality(String),
    app LowCardinality(String),
    environment LowCardinality(String),
    slo LowCardinality(String),
    severity LowCardinality(String),
    reason String,
    cause String CODEC(ZSTD(1)),
    author String"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        TABLE,
        _COLUMNS,
        "PARTITION BY toYYYYMM(at)\nORDER BY (incident_id, seq, at)",
    )
