"""Vigie's own logs, traces and metrics.

Logs are JSON lines on stderr (one object per record, ``extra=`` fields included). Traces and
metrics go through the OpenTelemetry SDK to ``VIGIE_SELF_TELEMETRY_ENDPOINT`` (OTLP/HTTP), off by
default. Vigie never exports into its own receiver: that would be a feedback loop in which every
export creates more telemetry to export.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from vigie.errors import ConfigError
from vigie.settings import Settings

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own handlers; route its records through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def check_no_loop(endpoint: str, host: str, port: int) -> None:
    """Refuse a self-telemetry endpoint that is this very server's receiver."""
    target = urlsplit(endpoint)
    local = {"127.0.0.1", "localhost", "::1", "0.0.0.0", host}
    target_port = target.port or (443 if target.scheme == "https" else 80)
    if target.hostname in local and target_port == port:
        raise ConfigError(
            f"VIGIE_SELF_TELEMETRY_ENDPOINT: {endpoint} is this server's own receiver "
            f"({host}:{port}); exporting there would loop"
        )


def configure_telemetry(settings: Settings, *, host: str, port: int) -> None:
    """Install OTLP/HTTP exporters for Vigie's own traces and metrics, when configured."""
    endpoint = settings.self_telemetry_endpoint
    if not endpoint:
        return
    check_no_loop(endpoint, host, port)

    from opentelemetry import metrics, trace
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from vigie import __version__

    base = endpoint.rstrip("/")
    resource = Resource.create({"service.name": "vigie", "service.version": __version__})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces", timeout=10))
    )
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{base}/v1/metrics", timeout=10),
        export_interval_millis=15_000,
    )
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
