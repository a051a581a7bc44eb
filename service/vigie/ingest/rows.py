"""What the OTLP converters share: their result type, the scrubbing hook, row rejections.

A converter turns one decoded export request into column-oriented batches
(:class:`TableBatch`) for the exporter tables whose names and column lists
live in :mod:`vigie.store.tables`; the values are those the contrib v0.161.0 ClickHouse
exporter writes. Timestamps are built as integer nanoseconds since the epoch for
``DateTime64(9)`` columns (clickhouse-connect writes ints as they are, much faster than
``datetime`` objects) and integer seconds for ``DateTime`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# uint64 nanoseconds past this do not fit DateTime64(9) (an Int64: 2262-04-11T23:47:16Z).
MAX_TIMESTAMP_NS = 2**63 - 1
# DateTime is a UInt32 of seconds: 2106-02-07T06:28:15Z at most.
MAX_DATETIME_S = 2**32 - 1


@dataclass
class TableBatch:
    """Rows for one table, column-oriented: ``data[i]`` holds the values of ``columns[i]``."""

    table: str
    columns: tuple[str, ...]
    data: list[list[Any]]

    @property
    def rows(self) -> int:
        return len(self.data[0]) if self.data else 0

    def extend(self, other: TableBatch) -> None:
        if other.columns != self.columns:
            raise ValueError(f"column mismatch for {self.table}")
        for mine, theirs in zip(self.data, other.data, strict=True):
            mine.extend(theirs)

    def take(self, n: int) -> TableBatch:
        """Split off the first ``n`` rows into a new batch."""
        head = TableBatch(self.table, self.columns, [col[:n] for col in self.data])
        self.data = [col[n:] for col in self.data]
        return head

    def row_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in zip(*self.data, strict=True)]


@dataclass
class ConvertResult:
    """What one request became: its non-empty batches and the per-row outcome.

    ``rows`` were converted; ``rejected`` could not be, and ``error_message`` gives the first
    few reasons (for OTLP ``partial_success``); ``truncated`` counts values, keys, attribute
    lists, events or links cut to the documented limits in rows that were kept.
    """

    batches: list[TableBatch] = field(default_factory=list)
    rows: int = 0
    rejected: int = 0
    truncated: int = 0
    error_message: str = ""


class Scrubber(Protocol):
    """Removes personal data from text before it is stored (``vigie.ingest.scrub``)."""

    def scrub_text(self, text: str) -> str: ...

    def scrub_attribute(self, key: str, value: str) -> str: ...


class NoScrub:
    """A scrubber that changes nothing (tests, benchmarks)."""

    def scrub_text(self, text: str) -> str:
        return text

    def scrub_attribute(self, key: str, value: str) -> str:
        return value


class Rejections:
    """Rows refused while converting one request, with the first few distinct reasons."""

    MAX_REASONS = 5

    def __init__(self) -> None:
        self.count = 0
        self.reasons: list[str] = []

    def add(self, reason: str) -> None:
        self.count += 1
        if len(self.reasons) < self.MAX_REASONS and reason not in self.reasons:
            self.reasons.append(reason)

    def add_many(self, reason: str, count: int) -> None:
        """``count`` rows refused for one reason (all the rows of a resource or a scope)."""
        if count:
            self.add(reason)
            self.count += count - 1

    def message(self, what: str) -> str:
        if not self.count:
            return ""
        return f"{self.count} {what} rejected: " + "; ".join(self.reasons)


def columns_of(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Row tuples transposed into column lists (converters append one tuple per row: much
    cheaper than one append per column)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def build_result(
    tables: Sequence[tuple[str, Sequence[str], list[list[Any]]]],
    rejections: Rejections,
    truncated: int,
    what: str,
) -> ConvertResult:
    """Assemble a :class:`ConvertResult` from ``(table, columns, data)`` triples."""
    batches = [
        TableBatch(table, tuple(columns), data) for table, columns, data in tables if data[0]
    ]
    return ConvertResult(
        batches=batches,
        rows=sum(batch.rows for batch in batches),
        rejected=rejections.count,
        truncated=truncated,
        error_message=rejections.message(what),
    )
