from __future__ import annotations

from typing import Any

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as PbLogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from tests.ingest.otlp import any_value, key_values

from vigie.ingest.anyvalue import MAX_VALUE_CHARS, TRUNCATION_MARK
from vigie.ingest.decode import PROTOBUF, decode_request
from vigie.ingest.logs import convert_logs
from vigie.ingest.rows import NoScrub, TableBatch
from vigie.store import tables as t


def _rows(batch: TableBatch) -> list[dict[str, Any]]:
    return [dict(zip(batch.columns, row, strict=True)) for row in zip(*batch.data, strict=True)]


def test_sdk_log_records_convert_to_exporter_values() -> None:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "inscriptions"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("vigie.tests.logs", "0.9")
    logger.emit(LogRecord(
        timestamp=1_700_000_000_123_456_789,
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0x00F067AA0BA902B7,
        severity_text="WARN",
        severity_number=SeverityNumber.WARN,
        body={"msg": "slow", "ms": 1200},
        attributes={"code.lineno": 42},
        event_name="db.slow_query",
    ))
    logger.emit(LogRecord(observed_timestamp=1_700_000_001_000_000_000, body="plain"))
    request = encode_logs(exporter.get_finished_logs())
    decoded = decode_request(request.SerializeToString(), PROTOBUF, None, "logs", 1 << 20)
    result = convert_logs(decoded, NoScrub())
    assert (result.rows, result.rejected) == (2, 0)
    (batch,) = result.batches
    assert batch.table == t.LOGS and batch.columns == t.LOGS_COLUMNS
    first, second = _rows(batch)
    assert first["Timestamp"] == 1_700_000_000_123_456_789
    assert first["TraceId"] == "0af7651916cd43dd8448eb211c80319c"
    assert first["SpanId"] == "00f067aa0ba902b7"
    assert (first["SeverityText"], first["SeverityNumber"]) == ("WARN", 13)
    assert first["Body"] == '{"ms":1200,"msg":"slow"}'
    assert first["LogAttributes"] == {"code.lineno": "42"}
    assert first["EventName"] == "db.slow_query"
    assert first["ServiceName"] == "inscriptions"
    assert (first["ScopeName"], first["ScopeVersion"]) == ("vigie.tests.logs", "0.9")
    # No time: the exporter falls back to the observed time.
    assert second["Timestamp"] == 1_700_000_001_000_000_000
    assert (second["Body"], second["TraceId"], second["SpanId"]) == ("plain", "", "")


def _request(*records: PbLogRecord) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add(schema_url="https://opentelemetry.io/schemas/1.30.0")
    rl.resource.attributes.extend(key_values({"service.name": "s"}))
    sl = rl.scope_logs.add(schema_url="https://scope")
    sl.scope.attributes.extend(key_values({"scope.attr": True}))
    sl.log_records.extend(records)
    return request


def test_bad_records_are_rejected_and_flags_keep_their_low_byte() -> None:
    request = _request(
        PbLogRecord(time_unix_nano=1, body=any_value("ok"), flags=0x101, severity_number=9),
        PbLogRecord(time_unix_nano=1, trace_id=b"\x01" * 8),
        PbLogRecord(time_unix_nano=1, span_id=b"\x01" * 16),
        PbLogRecord(time_unix_nano=2**64 - 1),
        PbLogRecord(time_unix_nano=3, body=any_value(b"\x00\x01")),
    )
    result = convert_logs(request, NoScrub())
    assert (result.rows, result.rejected) == (2, 3)
    ok, binary = _rows(result.batches[0])
    assert (ok["TraceFlags"], ok["SeverityNumber"]) == (1, 9)
    assert ok["ResourceSchemaUrl"] == "https://opentelemetry.io/schemas/1.30.0"
    assert ok["ScopeSchemaUrl"] == "https://scope"
    assert ok["ScopeAttributes"] == {"scope.attr": "true"}
    assert binary["Body"] == "AAE="
    assert "3 log records rejected" in result.error_message


def test_huge_bodies_are_truncated_and_scrubbed() -> None:
    class Upper:
        def scrub_text(self, text: str) -> str:
            return text.upper()

        def scrub_attribute(self, key: str, value: str) -> str:
            return value

    request = _request(PbLogRecord(time_unix_nano=1, body=any_value("x" * (3 * MAX_VALUE_CHARS))))
    result = convert_logs(request, Upper())
    (row,) = _rows(result.batches[0])
    assert len(row["Body"]) == MAX_VALUE_CHARS
    assert row["Body"].startswith("XXX") and row["Body"].endswith(TRUNCATION_MARK.upper())
    assert result.truncated == 1


def test_a_resource_attribute_that_does_not_parse_costs_every_record_of_that_resource() -> None:
    message = _request(PbLogRecord(time_unix_nano=1), PbLogRecord(time_unix_nano=2))
    message.resource_logs[0].scope_logs.add().log_records.append(PbLogRecord(time_unix_nano=3))
    kept = message.resource_logs.add().scope_logs.add()
    kept.log_records.append(PbLogRecord(time_unix_nano=4, body=any_value("kept")))
    request = decode_request(message.SerializeToString(), PROTOBUF, None, "logs", 1 << 20)
    # KeyValue{key: "k", value: AnyValue{string_value: b"\xc3\x28"}}: not UTF-8.
    not_utf8 = b"\x0a\x01k\x12\x04\x0a\x02\xc3\x28"
    request.resource_logs[0].resource.attributes.append(not_utf8)  # type: ignore[attr-defined]
    result = convert_logs(request, NoScrub())
    assert (result.rows, result.rejected) == (1, 3)
    assert result.batches[0].data[t.LOGS_COLUMNS.index("Body")] == ["kept"]
    assert result.error_message == (
        "3 log records rejected: resource with an attribute that does not parse "
        "(not UTF-8 or nested too deeply)"
    )
