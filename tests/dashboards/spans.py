"""The seeded telemetry read back as plain rows, and what a panel should show, in Python.

Written from the event definition (docs of :mod:`vigie.slo.spans`), independently of the
panels' SQL: a server span is kind ``Server``; it failed when its status is ``Error`` or its
HTTP status is 5xx; environment and route come from the resource and span attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.dashboards.macros import TimeRange, Variable, expand

from vigie.store import Store, tables


@dataclass(frozen=True)
class Span:
    ns: int
    service: str
    kind: str
    status: str
    attributes: dict[str, str]
    resource: dict[str, str]
    duration: int
    trace_id: str
    span_id: str

    @property
    def seconds(self) -> float:
        return self.ns / 1e9

    @property
    def server(self) -> bool:
        return self.kind in ("Server", "SPAN_KIND_SERVER")

    @property
    def failed(self) -> bool:
        code = self.attributes.get("http.response.status_code") or self.attributes.get(
            "http.status_code", "0")
        return self.status in ("Error", "STATUS_CODE_ERROR") or int(code) >= 500

    @property
    def environment(self) -> str:
        return (self.resource.get("deployment.environment.name")
                or self.resource.get("deployment.environment", ""))

    @property
    def route(self) -> str:
        return self.attributes.get("http.route", "")


def read_spans(store: Store) -> list[Span]:
    rows = store.query(
        "SELECT toUnixTimestamp64Nano(Timestamp), ServiceName, SpanKind, StatusCode,"
        f" SpanAttributes, ResourceAttributes, Duration, TraceId, SpanId FROM {tables.TRACES}"
    ).rows
    return [Span(*row) for row in rows]


def in_range(moment_s: float, time: TimeRange) -> bool:
    """``$__timeFilter``: both bounds whole seconds, both inclusive."""
    return int(time.start.timestamp()) <= moment_s <= int(time.end.timestamp())


def bucket(moment_s: float, step_s: int) -> datetime:
    """``toStartOfInterval(toDateTime(t), INTERVAL step second)`` (naive UTC, as chdb returns)."""
    start = int(moment_s) // step_s * step_s
    return datetime.fromtimestamp(start, UTC).replace(tzinfo=None)


def selected(variable: Variable) -> set[str]:
    return set(variable.value())


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, Excel's PERCENTILE.INC)."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def run(store: Store, sql: str, time: TimeRange, variables: dict[str, Variable]
        ) -> list[dict[str, Any]]:
    result = store.query(expand(sql, time, variables))
    return result.dicts()
