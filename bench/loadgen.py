"""Why history bypasses the SDK: spans/s of the generator's stages, measured in the same run.

    .venv/bin/python bench/loadgen.py [--hours 24] [--rate 1.0] [--repeat 3]

Generates ``--hours`` of back-dated traffic of the five sample apps at ``--rate`` requests/s
(daily profile), then prints spans/s (best of ``--repeat``) for:

- generate: request shapes only (vigie.loadgen.traffic), the baseline every path pays;
- direct:   shapes → ``encode_traces`` → protobuf bytes → gzip, in 5,000-span batches
            (the history emitter, minus the HTTP POST; logs alongside);
- sdk:      shapes → the live emitter (SDK spans and logs with explicit times, batch
            processors) → the SDK's own OTLP encoders → protobuf bytes → gzip (no network).

No network: both emitters' HTTP costs depend on the receiver, not on the generator.
"""

from __future__ import annotations

import argparse
import gzip
from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from timing import best_rate
from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.live import SdkEmitter
from vigie.loadgen.model import RequestShape
from vigie.loadgen.otlp import encode_logs as vigie_encode_logs
from vigie.loadgen.otlp import encode_traces
from vigie.loadgen.scenarios import past_incidents
from vigie.loadgen.traffic import request_stream

_HOUR_NS = 3600 * 10**9


class _EncodeSpans(SpanExporter):
    """Encode and compress like the OTLP/HTTP exporter, then drop (no network)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        gzip.compress(encode_spans(spans).SerializeToString(), compresslevel=1)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


class _EncodeLogs(LogRecordExporter):
    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        gzip.compress(encode_logs(batch).SerializeToString(), compresslevel=1)
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    now = 497_012 * _HOUR_NS
    start = now - int(args.hours * _HOUR_NS)
    incidents = past_incidents(now, args.hours / 24)

    def generate() -> list[RequestShape]:
        return list(request_stream(SAMPLE_APPS, start, now, args.rate, incidents, 1, daily=True))

    requests = generate()
    spans = sum(len(r.spans) for r in requests)

    def direct() -> None:
        batch: list[RequestShape] = []
        size = 0
        for r in requests:
            batch.append(r)
            size += len(r.spans)
            if size >= 5000:
                encode(batch)
                batch, size = [], 0
        encode(batch)

    def encode(batch: list[RequestShape]) -> None:
        gzip.compress(encode_traces(batch).SerializeToString(), compresslevel=1)
        gzip.compress(vigie_encode_logs(batch).SerializeToString(), compresslevel=1)

    def sdk() -> None:
        # The live emitter (batch processors included) with in-process exporters.
        emitter = SdkEmitter(lambda: (_EncodeSpans(), _EncodeLogs()), timeout_s=30)
        for r in requests:
            emitter.emit(r)
        assert emitter.close().spans_ok == spans

    print(f"{len(requests):,} requests, {spans:,} spans over {args.hours:g} h")
    base = best_rate(spans, args.repeat, generate)
    rows = [("generate", base)]
    rows.append(("generate+direct", 1 / (1 / base + 1 / best_rate(spans, args.repeat, direct))))
    rows.append(("generate+sdk", 1 / (1 / base + 1 / best_rate(spans, 1, sdk))))
    for name, rate in rows:
        print(f"{name:16} {rate:>10,.0f} spans/s  ({rate / base:.2f} x generate)")


if __name__ == "__main__":
    main()
