from __future__ import annotations

import time

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from tests.ingest.otlp import key_values

from vigie.ingest.encode import NATIVE, encode_native
from vigie.ingest.rows import NoScrub, TableBatch
from vigie.ingest.traces import convert_traces
from vigie.settings import Settings
from vigie.store import Store
from vigie.store import tables as t
from vigie.store.migrations import migrate

# recent: rows past the table's TTL would be dropped on insert
_NOW = time.time_ns() // 10**9 * 10**9


def _spans() -> ExportTraceServiceRequest:
    plain = Span(
        trace_id=bytes(range(16)),
        span_id=bytes(range(8)),
        name="GET /billets/{id}",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=_NOW + 123_456_789,
        end_time_unix_nano=_NOW + 223_456_789,
        attributes=key_values({"http.response.status_code": 200, "é": "ü", "empty": ""}),
    )
    busy = Span(
        trace_id=bytes(range(1, 17)),
        span_id=bytes(range(1, 9)),
        parent_span_id=bytes(range(8)),
        name="db",
        start_time_unix_nano=_NOW + 200_000_001,
        end_time_unix_nano=_NOW + 100_000_000,
        events=[
            Span.Event(time_unix_nano=_NOW + 200_000_002, name="retry"),
            Span.Event(name="x", attributes=key_values({"rows": 3})),
        ],
        links=[Span.Link(trace_id=bytes(16), span_id=bytes(range(2, 10)), trace_state="k=v")],
    )
    resource = Resource(attributes=key_values({"service.name": "billets"}))
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[plain, busy])])
        ]
    )


def _types(store: Store, table: str, columns: tuple[str, ...]) -> list[str]:
    rows = store.query(
        "SELECT name, type FROM system.columns WHERE database = currentDatabase()"
        " AND table = {table:String}",
        {"table": table},
    ).rows
    known = dict(rows)
    return [known[c] for c in columns]


def test_native_block_stores_what_the_python_driver_stores(
    store: Store, settings: Settings
) -> None:
    migrate(store, settings)
    store.command(f"CREATE TABLE twin AS {t.TRACES}")
    (batch,) = convert_traces(_spans(), NoScrub()).batches
    store.insert("twin", batch.columns, batch.data, column_oriented=True)
    payload = encode_native(batch, _types(store, t.TRACES, batch.columns))
    store.insert_raw(t.TRACES, batch.columns, payload, NATIVE)

    columns = ", ".join(f"`{c}`" for c in batch.columns)
    select = f"SELECT {columns} FROM {{table:Identifier}} ORDER BY SpanId"
    ours = store.query(select, {"table": t.TRACES}).rows
    assert len(ours) == 2
    assert ours == store.query(select, {"table": "twin"}).rows


def test_a_value_its_column_cannot_hold_is_a_value_error_naming_it() -> None:
    batch = TableBatch("w", ("n", "s"), [[1, "two"], ["a", "b"]])
    with pytest.raises(ValueError, match='column "n" row 1'):
        encode_native(batch, ["UInt32", "String"])


def test_types_must_match_the_columns() -> None:
    batch = TableBatch("w", ("n", "s"), [[1], ["a"]])
    with pytest.raises(ValueError, match="2 columns but 1 types"):
        encode_native(batch, ["UInt32"])
