"""A club's app instrumented with the OpenTelemetry SDK, sending the shared PII corpus.

Each corpus case becomes one span and one log record, sent over OTLP/HTTP like any app:
* a case with a ``key`` is an attribute of that key (span and log record);
* a case without one is free text everywhere the receiver scrubs text: span name, status
  message, event name and attribute, log body, and the attribute ``case.text``.
Every record carries ``case.id``, so each output can be matched to its case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from vigie.ingest.scrub import Scrubber

CORPUS = Path(__file__).resolve().parents[1] / "data" / "pii"
TEXT_KEY = "case.text"
ID_KEY = "case.id"


@dataclass(frozen=True)
class Case:
    id: int
    input: str
    expected: str  # the stored text (the input itself for a negative case)
    key: str | None
    secrets: tuple[str, ...]


def _as_collector(key: str | None, text: str) -> str:
    """What the collector stores: the corpus' expected output, except that it cannot run the
    receiver's Python-only checks (Luhn), so it also scrubs SIN-shaped numbers failing them."""
    scrubber = Scrubber(checks=False)
    return scrubber.scrub_attribute(key, text) if key else scrubber.scrub_text(text)


_AS_COLLECTOR = _as_collector


def corpus() -> list[Case]:
    """The shared corpus: positives (personal data) then negatives (must stay as they are)."""
    cases: list[Case] = []
    for name in ("positives.yaml", "negatives.yaml"):
        for raw in yaml.safe_load((CORPUS / name).read_text(encoding="utf-8")):
            cases.append(
                Case(
                    id=len(cases),
                    input=raw["input"],
                    expected=_AS_COLLECTOR(raw.get("key"), raw["input"]),
                    key=raw.get("key"),
                    secrets=tuple(raw.get("secrets", ())),
                )
            )
    return cases


def send(endpoint: str, cases: list[Case], resource: dict[str, Any]) -> None:
    """Send one span and one log record per case to ``endpoint`` (OTLP/HTTP base URL), then
    flush: when this returns, the collector has acknowledged everything."""
    res = Resource.create(resource)
    tracer_provider = TracerProvider(resource=res)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=10))
    )
    logger_provider = LoggerProvider(resource=res)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", timeout=10))
    )
    tracer = tracer_provider.get_tracer("vigie.tests.club-app")
    logger = logger_provider.get_logger("vigie.tests.club-app")
    for case in cases:
        attributes: dict[str, Any] = {ID_KEY: case.id, case.key or TEXT_KEY: case.input}
        name = f"case {case.id}" if case.key else case.input
        with tracer.start_as_current_span(name, attributes=attributes) as span:
            if case.key is None:
                span.add_event(case.input, {TEXT_KEY: case.input})
                span.set_status(Status(StatusCode.ERROR, case.input))
            logger.emit(
                body=f"case {case.id}" if case.key else case.input,
                attributes=attributes,
                severity_number=SeverityNumber.WARN,
            )
    assert tracer_provider.force_flush(30_000) and logger_provider.force_flush(30_000)
    tracer_provider.shutdown()
    logger_provider.shutdown()


@dataclass(frozen=True)
class Stored:
    """One span or log record as it came out of a pipeline (file exporter or ClickHouse)."""

    resource: dict[str, str]
    attributes: dict[str, str]
    texts: dict[str, list[str]]  # field name -> values (span name, status, events, body)


def check_scrubbed(cases: list[Case], spans: list[Stored], logs: list[Stored]) -> None:
    """Every case arrived once as a span and once as a log record (nothing lost), with the
    corpus' expected text in every field (personal data replaced, the rest untouched), and none
    of the case's secrets anywhere in its record."""
    for kind, records in (("span", spans), ("log", logs)):
        by_id = {record.attributes.get(ID_KEY): record for record in records}
        assert len(records) == len(cases) == len(by_id), (kind, len(records), len(cases))
        for case in cases:
            record = by_id[str(case.id)]
            stored = [*record.attributes.values(), *(t for ts in record.texts.values() for t in ts)]
            leaked = [secret for secret in case.secrets if any(secret in t for t in stored)]
            assert not leaked, (kind, case, leaked)
            if case.key:
                assert record.attributes[case.key] == case.expected, (kind, case)
                continue
            assert record.attributes[TEXT_KEY] == case.expected, (kind, case)
            for field, values in record.texts.items():
                assert values == [case.expected], (kind, field, case)
