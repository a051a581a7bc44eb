"""OTLP decode and conversion speed, as ratios of plain protobuf parsing measured in the same run.

    .venv/bin/python bench/convert.py [--batches 40] [--batch 512] [--repeat 5] [--insert]

Payloads are bench/ingest.py's: 512 server spans per request, 10 attributes each (some values
unique per span: url.path ids, body sizes). Prints spans/s (best of ``--repeat`` passes over
the same requests) for:

- parse:   ``ExportTraceServiceRequest.FromString`` (the generated OTLP classes), the baseline;
- decode:  ``decode_request`` (wire classes: attribute lists stay bytes);
- convert: decode + ``convert_traces`` with no scrubbing, then with the PII scrubber.

``--insert`` also times ``Store.insert`` of the converted columns into a migrated chdb
``otel_traces``, with timestamps as int nanoseconds (what the converters produce) and as
``datetime`` objects, per 10,240-row insert.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).parent))
from ingest import payload
from timing import best_rate
from vigie.ingest.decode import PROTOBUF, decode_request
from vigie.ingest.rows import NoScrub
from vigie.ingest.scrub import Scrubber
from vigie.ingest.traces import convert_traces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--insert", action="store_true")
    args = parser.parse_args()

    bodies = [payload(args.batch, seed) for seed in range(args.batches)]
    spans = args.batch * args.batches
    limit = 64 << 20

    def parse() -> None:
        for body in bodies:
            ExportTraceServiceRequest.FromString(body)

    def decode() -> None:
        for body in bodies:
            decode_request(body, PROTOBUF, None, "traces", limit)

    def convert_with(scrubber: NoScrub | Scrubber) -> Callable[[], None]:
        def run() -> None:
            for body in bodies:
                convert_traces(decode_request(body, PROTOBUF, None, "traces", limit), scrubber)

        return run

    baseline = best_rate(spans, args.repeat, parse)
    rows = [
        ("parse (generated OTLP classes)", baseline),
        ("decode_request", best_rate(spans, args.repeat, decode)),
        ("decode + convert, no scrubbing", best_rate(spans, args.repeat, convert_with(NoScrub()))),
        ("decode + convert, PII scrubber", best_rate(spans, args.repeat, convert_with(Scrubber()))),
    ]
    print(f"{spans} spans in {args.batches} requests of {args.batch}; best of {args.repeat}")
    for label, rate in rows:
        print(f"  {label:34s} {rate:>12,.0f} spans/s   {rate / baseline:6.3f} x parse")
    if args.insert:
        insert_rates(bodies)


def insert_rates(bodies: list[bytes]) -> None:
    import os

    from vigie.settings import load_settings
    from vigie.store import connect
    from vigie.store.migrations import migrate
    from vigie.store.tables import TRACES_COLUMNS

    os.environ["VIGIE_CLICKHOUSE_DSN"] = f"chdb://{tempfile.mkdtemp(prefix='vigie-bench-')}"
    settings = load_settings()
    store = connect(settings)
    migrate(store, settings)
    scrubber = NoScrub()
    batches = [
        convert_traces(decode_request(body, PROTOBUF, None, "traces", 64 << 20), scrubber)
        for body in bodies
    ]
    merged = batches[0].batches[0]
    for result in batches[1:20]:
        merged.extend(result.batches[0])
    ts = TRACES_COLUMNS.index("Timestamp")
    as_datetime = list(merged.data)
    as_datetime[ts] = [datetime.fromtimestamp(ns / 1e9, UTC) for ns in merged.data[ts]]
    for label, data in [("int ns", merged.data), ("datetime", as_datetime)]:

        def insert(data: list[list[object]] = data) -> None:
            store.insert(merged.table, merged.columns, data, column_oriented=True)

        rate = best_rate(merged.rows, 3, insert)
        print(f"  insert {merged.rows} rows, Timestamp as {label:9s} {rate:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
