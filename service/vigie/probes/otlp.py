"""Check results as an OTLP export request shaped exactly as the contrib ``http_check``
receiver (v0.161.0) sends it, so that Vigie's own prober (:mod:`vigie.probes.prober`) and the
receiver feed the same rows, rollup and SLI.

Per check (``scraper.go``): five ``httpcheck.status`` points (one per status class; value 1 and
``http.status_code`` on the answer's class, value 0 and no code elsewhere; all 0 when there was
no answer), ``httpcheck.error`` (value 1, ``error.message``) when there was no answer,
``httpcheck.duration``, and, enabled by Vigie's config, ``httpcheck.tls.cert_remaining`` on TLS
answers and ``httpcheck.validation.passed`` / ``.failed`` on validated bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb

from vigie.probes import metrics as m

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/httpcheckreceiver"


@dataclass(frozen=True)
class Check:
    """The outcome of one request to one probed URL."""

    url: str
    at: datetime
    status: int = 0  # 0: no answer
    error: str | None = None
    duration_ms: int = 12
    cert_remaining_s: int | None = None
    validation_failed: int | None = None  # None: no validation configured


def _sum(name: str, unit: str) -> pb.Metric:
    metric = pb.Metric(name=name, unit=unit)
    metric.sum.aggregation_temporality = pb.AGGREGATION_TEMPORALITY_CUMULATIVE
    metric.sum.is_monotonic = False
    return metric


def _value(value: object) -> AnyValue:
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=str(value))


def _point(at: datetime, value: int, attrs: Mapping[str, object]) -> pb.NumberDataPoint:
    nanos = int(at.timestamp() * 1e9)
    return pb.NumberDataPoint(
        time_unix_nano=nanos,
        start_time_unix_nano=nanos,
        as_int=value,
        attributes=[KeyValue(key=k, value=_value(v)) for k, v in attrs.items()],
    )


def request(checks: list[Check]) -> ExportMetricsServiceRequest:
    """One export request holding every check, as the receiver's scrape emits them."""
    status = _sum(m.STATUS, "1")
    error = _sum(m.ERROR, "{error}")
    failed = _sum(m.VALIDATION_FAILED, "{validation}")
    passed = _sum(m.VALIDATION_PASSED, "{validation}")
    duration = pb.Metric(name=m.DURATION, unit="ms")
    cert = pb.Metric(name=m.CERT_REMAINING, unit="s")
    for c in checks:
        for number, klass in enumerate(m.STATUS_CLASSES, start=1):
            hit = c.status // 100 == number
            attrs: dict[str, object] = {m.URL: c.url, m.METHOD: "GET", m.STATUS_CLASS: klass}
            if hit:
                attrs[m.STATUS_CODE] = c.status
            status.sum.data_points.append(_point(c.at, int(hit), attrs))
        if c.status == 0:
            error.sum.data_points.append(
                _point(c.at, 1, {m.URL: c.url, m.ERROR_MESSAGE: c.error or "error"}))
        duration.gauge.data_points.append(_point(c.at, c.duration_ms, {m.URL: c.url}))
        if c.cert_remaining_s is not None:
            cert.gauge.data_points.append(_point(c.at, c.cert_remaining_s, {
                m.URL: c.url, m.TLS_CN: "club.example", m.TLS_ISSUER: "CN=club.example"}))
        if c.validation_failed is not None:
            kind = {m.URL: c.url, m.VALIDATION_TYPE: "contains"}
            failed.sum.data_points.append(_point(c.at, c.validation_failed, kind))
            passed.sum.data_points.append(_point(c.at, 1 - c.validation_failed, kind))
    metrics = [x for x in (status, error, failed, passed) if x.sum.data_points]
    metrics += [x for x in (duration, cert) if x.gauge.data_points]
    out = ExportMetricsServiceRequest()
    resource = out.resource_metrics.add()
    resource.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value=m.PROBER_SERVICE))
    )
    scope = resource.scope_metrics.add()
    scope.scope.name = SCOPE
    scope.metrics.extend(metrics)
    return out
