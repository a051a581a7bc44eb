"""The Discord delivery outbox: one append-only row per event of a notice.

ClickHouse has no transactions, so a notice's state is never updated in place: a ``pending`` row
(holding the notice as JSON) is written before anything is sent, then one row per outcome:
``retried`` (an attempt failed and will be retried: 429, 5xx, timeout), ``sent`` (with Discord's
message id), ``failed`` (Discord refused it, or it can never be sent) or ``dead`` (the webhook is
gone). The current state of a notice is its latest non-``retried`` event
(``argMaxIf(event, at, event != 'retried')``); the per-channel counts of events feed the admins'
pipeline dashboard. See docs/notifications.md.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 25
DESCRIPTION = "notify: append-only Discord delivery outbox"

OUTBOX = "vigie_outbox"
# Delivery history, not telemetry: kept longer than spans so edits of old messages still work.
_TTL_DAYS = 180

_COLUMNS = """\
    key String,
    channel LowCardinality(String),
    event LowCardinality(String),
    kind LowCardinality(String),
    edit_of String,
    notice String CODEC(ZSTD(3)),
    message_id String,
    discord_channel_id String,
    attempt UInt16,
    detail String,
    created_at DateTime64(3, 'UTC'),
    at DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1))"""


def statements(ctx: MigrationContext) -> list[str]:
    return ctx.create_table(
        OUTBOX,
        _COLUMNS,
        f"PARTITION BY toYYYYMM(at)\nORDER BY (key, at)\n"
        f"TTL toDateTime(at) + toIntervalDay({_TTL_DAYS})",
    )
