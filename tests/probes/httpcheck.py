"""Writing http_check-shaped export requests into the store as Vigie's receiver does."""

from __future__ import annotations

from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import NoScrub
from vigie.probes.otlp import Check, request
from vigie.store import Store

__all__ = ["Check", "store_checks"]


def store_checks(store: Store, checks: list[Check]) -> None:
    """The checks written as Vigie's receiver writes an export request (the same rows as the
    collector's ClickHouse exporter)."""
    result = convert_metrics(request(checks), NoScrub())
    assert result.rejected == 0
    for batch in result.batches:
        store.insert(batch.table, batch.columns, batch.data, column_oriented=True)
