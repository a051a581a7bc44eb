"""SLO rollups keyed on the club as well as the service.

A span counts for a club's app only when it is that club's: its ``k8s.namespace.name`` (the
``Club`` column, :data:`vigie.slo.spans.CLUB`) equals the club, or is empty. The receiver sees to
it that an empty namespace comes only from the platform's collectors or the loopback quick start
(a club's ingest token always writes its own namespace, :mod:`vigie.ingest.senders`), so a span
from another namespace never counts for another club's app.

Each rollup of migrations 10 and 11 gains a ``Club`` column at the end of its sorting key (rows
of different clubs are never merged together), and its materialized view's query is replaced in
place (``MODIFY QUERY``: no instant without a view). Rows rolled up before this migration keep
an empty ``Club``: they count as they did, until their TTL ends them.
"""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext
from vigie.store.migrations.m0010_slo_rollups import (
    ACTIVITY,
    ROLLUP,
    SERVER_SPAN,
    _activity_select,
    _rollup_select,
)
from vigie.store.migrations.m0011_slo_coarse_rollups import _TABLES, _select

VERSION = 45
DESCRIPTION = "SLO rollups and service activity keyed on the club (k8s.namespace.name)"

# Frozen here like every expression of an applied migration (vigie.slo.spans.CLUB is live code).
CLUB = "ResourceAttributes['k8s.namespace.name']"


def with_club(select: str) -> str:
    """A rollup ``select`` of migration 10 or 11, also grouping by the span's club."""
    if select.count("SELECT ") != 1 or select.count("GROUP BY ") != 1:
        raise ValueError("expected one SELECT … GROUP BY")
    return select.replace("SELECT ", f"SELECT {CLUB} AS Club, ").replace(
        "GROUP BY ", "GROUP BY Club, "
    )


def _sort_keys() -> dict[str, str]:
    keys = {
        ROLLUP: "ServiceName, Environment, Route, Minute",
        ACTIVITY: "ServiceName, Environment, Minute",
    }
    for table, (_truncate, _partition, order, _days) in _TABLES.items():
        keys[table] = order
    return keys


def _view_queries(source: str) -> dict[str, str]:
    queries = {
        ROLLUP: _rollup_select(source, SERVER_SPAN),
        ACTIVITY: _activity_select(source, "1"),
    }
    for table, (truncate, *_rest) in _TABLES.items():
        queries[table] = _select(truncate, source, SERVER_SPAN)
    return {table: with_club(query) for table, query in queries.items()}


def statements(ctx: MigrationContext) -> list[str]:
    out: list[str] = []
    views = _view_queries(ctx.local("otel_traces"))
    for table, order in _sort_keys().items():
        local = ctx.local(table)
        out.append(
            f"ALTER TABLE {local}{ctx.on_cluster} ADD COLUMN IF NOT EXISTS"
            f" Club LowCardinality(String), MODIFY ORDER BY ({order}, Club)"
        )
        if ctx.table(table) != local:  # the Distributed table over the shards
            out.append(
                f"ALTER TABLE {ctx.table(table)}{ctx.on_cluster}"
                " ADD COLUMN IF NOT EXISTS Club LowCardinality(String)"
            )
        view = ctx.table(table + "_mv")
        out.append(f"ALTER TABLE {view}{ctx.on_cluster} MODIFY QUERY {views[table]}")
    return out
