"""Kubernetes events and deployment gauges as the contrib receivers export them (recorded
shapes: k8s_events' ``k8s_event_to_logdata.go``, k8s_cluster's ``k8s.deployment.*`` gauges)."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from tests.ingest.otlp import key_values

EVENTS_SCOPE = (
    "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8seventsreceiver"
)


def event(namespace: str, pod: str, reason: str, message: str, *, count: int = 1,
          seconds_ago: float = 30, kind: str = "Pod") -> dict[str, Any]:
    return {"namespace": namespace, "pod": pod, "reason": reason, "message": message,
            "count": count, "seconds_ago": seconds_ago, "kind": kind}


def events_request(events: list[dict[str, Any]]) -> bytes:
    request = ExportLogsServiceRequest()
    for n, e in enumerate(events):
        resource_logs = request.resource_logs.add()
        resource_logs.resource.attributes.extend(key_values({
            "k8s.node.name": "omni-worker-2",
            "k8s.object.kind": e["kind"],
            "k8s.object.name": e["pod"],
            "k8s.object.uid": f"0b7c1a2e-{n:04d}-4c1d-9f0e-5a3b2c1d0e9f",
            "k8s.object.fieldpath": "spec.containers{web}",
            "k8s.object.api_version": "v1",
            "k8s.object.resource_version": str(48_213_000 + n),
        }))
        scope_logs = resource_logs.scope_logs.add()
        scope_logs.scope.name = EVENTS_SCOPE
        scope_logs.scope.version = "0.161.0"
        record = scope_logs.log_records.add()
        record.time_unix_nano = time.time_ns() - int(e["seconds_ago"] * 1e9)
        record.severity_number = logs_pb2.SEVERITY_NUMBER_WARN
        record.severity_text = "Warning"
        record.body.string_value = e["message"]
        record.attributes.extend(key_values({
            "k8s.event.reason": e["reason"],
            "k8s.event.action": "",
            "k8s.event.start_time": time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime()),
            "k8s.event.name": f"{e['pod']}.18c2f{n:05d}",
            "k8s.event.uid": f"5f0c2d1e-{n:04d}-4b3a-8e2d-1c0b9a8f7e6d",
            "k8s.namespace.name": e["namespace"],
            "k8s.event.count": e["count"],
        }))
    return request.SerializeToString()


def deployments_request(namespace: str, deployment: str, available: int,
                        desired: int = 1) -> bytes:
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.attributes.extend(key_values({
        "k8s.namespace.name": namespace, "k8s.deployment.name": deployment,
        "k8s.deployment.uid": "3e1d0c9b-0000-4a2b-8c7d-6e5f4a3b2c1d"}))
    scope = resource_metrics.scope_metrics.add()
    scope.scope.name = (
        "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sclusterreceiver")
    for name, value in (("k8s.deployment.available", available),
                        ("k8s.deployment.desired", desired)):
        metric = scope.metrics.add(name=name, unit="{pod}")
        metric.gauge.data_points.append(
            metrics_pb2.NumberDataPoint(time_unix_nano=time.time_ns(), as_int=value))
    return request.SerializeToString()
