"""Probe rollup: per minute and probed URL, the checks by outcome.

``vigie_probe_minute`` is fed by a materialized view on ``otel_metrics_sum``, where the contrib
``http_check`` receiver's sums land (:mod:`vigie.probes.metrics`). One check is either its
``httpcheck.status`` point of value 1 (outcome: the status code, ``'200'``, ``'503'``) or its
``httpcheck.error`` point (outcome ``error``: no answer); a check whose body validations failed
also adds one ``invalid`` row. The probe SLI reads this table (good = the expected status, less
the invalid ones); the minutes present are the prober's "last seen". Backfilled like migration
10: view first, then the points stamped before the view's creation second.
"""

from __future__ import annotations

from vigie.probes import metrics as m
from vigie.store.migrations.context import MigrationContext

VERSION = 75
DESCRIPTION = "Probe rollup: checks per minute, URL and outcome, backfilled"

ROLLUP = "vigie_probe_minute"

# Like the SLO rollups: kept long enough for a 90-day SLO window.
_MIN_TTL_DAYS = 90

_COLUMNS = """\
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    Url LowCardinality(String),
    Outcome LowCardinality(String),
    Checks SimpleAggregateFunction(sum, UInt64)"""

_OUTCOME = (
    f"multiIf(MetricName = '{m.STATUS}', Attributes['{m.STATUS_CODE}'], "
    f"MetricName = '{m.ERROR}', 'error', 'invalid')"
)

_IS_CHECK = (
    f"((MetricName = '{m.STATUS}' AND Value = 1) "
    f"OR (MetricName IN ('{m.ERROR}', '{m.VALIDATION_FAILED}') AND Value > 0))"
)


def _select(source: str, where: str) -> str:
    return (
        f"SELECT toStartOfMinute(toDateTime(TimeUnix, 'UTC')) AS Minute, "
        f"Attributes['{m.URL}'] AS Url, {_OUTCOME} AS Outcome, count() AS Checks\n"
        f"FROM {source}\nWHERE {where}\nGROUP BY Minute, Url, Outcome"
    )


def statements(ctx: MigrationContext) -> list[str]:
    clauses = ["PARTITION BY toDate(Minute)", "ORDER BY (Url, Minute, Outcome)"]
    if ctx.ttl_days:
        clauses.append(f"TTL Minute + toIntervalDay({max(ctx.ttl_days, _MIN_TTL_DAYS)})")
    view = f"{ROLLUP}_mv"
    cutoff = (
        "TimeUnix < (SELECT any(metadata_modification_time) FROM system.tables "
        f"WHERE database = '{ctx.database}' AND name = '{view}')"
    )
    return [
        *ctx.create_table(
            ROLLUP,
            _COLUMNS,
            "\n".join(clauses),
            engine="AggregatingMergeTree",
            shard_by="rand()",
        ),
        *ctx.create_materialized_view(
            view, to=ROLLUP, query=_select(ctx.local("otel_metrics_sum"), _IS_CHECK)
        ),
        f"INSERT INTO {ctx.table(ROLLUP)}\n"
        + _select(ctx.table("otel_metrics_sum"), f"{_IS_CHECK} AND {cutoff}"),
    ]
