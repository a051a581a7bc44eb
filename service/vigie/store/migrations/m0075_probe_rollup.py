"""Probe rollup: per minute and probed URL, the checks by outcome.

``vigie_probe_minute`` is fed by a materialized view on ``otel_metrics_sum``, where the contrib
``http_check`` receiver's sums land (:mod:`vigie.probes.metrics`). Each check has one outcome:
the status code answered (``'200'``, ``'503'``), ``error`` (no answer: its ``httpcheck.error``
point), or ``invalid`` (a 2xx answer whose body failed its validation). The probe SLI reads this
table (good = the probe's expected status); the minutes present are the prober's "last seen".
Backfilled like migration 10: view first, then the points stamped before the view's creation
second.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 75
DESCRIPTION = "Probe rollup: checks per minute, URL and outcome, backfilled"

ROLLUP = "vigie_probe_minute"

# The http_check receiver's names (frozen here: a migration imports no live code; the same
# names as vigie.probes.metrics, which a test keeps in step).
STATUS = "httpcheck.status"
ERROR = "httpcheck.error"
VALIDATION_FAILED = "httpcheck.validation.failed"
URL = "http.url"
STATUS_CODE = "http.status_code"

# Like the SLO rollups: kept long enough for a 90-day SLO window.
_MIN_TTL_DAYS = 90

_COLUMNS = """\
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    Url LowCardinality(String),
    Outcome LowCardinality(String),
    Checks SimpleAggregateFunction(sum, UInt64)"""

# One check = the points its scrape stamped with the same time for the same URL (the
# receiver's status, error and validation points travel in one export request, so in one
# insert block: the view groups them). At most one check per URL per second is assumed (probe
# intervals are 10 s or more; the exporter keeps whole seconds).
_PER_CHECK = f"""\
SELECT toStartOfMinute(toDateTime(TimeUnix, 'UTC')) AS Minute, Attributes['{URL}'] AS Url,
       anyIf(Attributes['{STATUS_CODE}'], MetricName = '{STATUS}' AND Value = 1) AS code,
       countIf(MetricName = '{STATUS}' AND Value = 1) AS answered,
       countIf(MetricName = '{ERROR}' AND Value > 0) AS errors,
       sumIf(Value, MetricName = '{VALIDATION_FAILED}') AS invalid
FROM {{source}}
WHERE MetricName IN ('{STATUS}', '{ERROR}', '{VALIDATION_FAILED}') AND {{where}}
GROUP BY Minute, Url, TimeUnix"""

# A 2xx answer whose body failed its validation is "invalid"; another status keeps its code.
_OUTCOME = (
    "multiIf(errors > 0 OR code = '', 'error', invalid > 0 AND startsWith(code, '2'), "
    "'invalid', code)"
)


def _select(source: str, where: str) -> str:
    return (
        f"SELECT Minute, Url, {_OUTCOME} AS Outcome,\n"
        "       sum(greatest(answered + errors, 1)) AS Checks\n"
        f"FROM ({_PER_CHECK.format(source=source, where=where)})\n"
        "GROUP BY Minute, Url, Outcome"
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
            view, to=ROLLUP, query=_select(ctx.local("otel_metrics_sum"), "1")
        ),
        f"INSERT INTO {ctx.table(ROLLUP)}\n" + _select(ctx.table("otel_metrics_sum"), cutoff),
    ]
