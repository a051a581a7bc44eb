"""OTLP metric points converted to the five ``otel_metrics_*`` tables, as the contrib v0.161.0
exporter writes them (``internal/metrics/*_metrics.go``).

One row per data point, in the table of its metric's type. Every table starts with the
resource, scope and metric columns (``ServiceName`` from ``service.name``;
``ScopeDroppedAttrCount`` from the scope); ``StartTimeUnix`` / ``TimeUnix`` and exemplar times
are ``DateTime`` (seconds, Go ``time.Time`` truncated) since v0.160. Number values are the double,
or the int as a double, or 0 when unset; exemplar ids are the hex of the full id (an empty id
gives zeros: the exporter does not special-case it here); ``Sum`` / ``Min`` / ``Max`` are 0 when
the point does not carry them; ``AggregationTemporality`` is the enum number.

Refused one by one (the rest of the request is kept): a point whose time or start time (or an
exemplar time) is past what ``DateTime`` holds (2106-02-07), an exemplar whose trace id is not
16 bytes or span id not 8 (or empty), and a metric with no data at all (the exporter fails the
whole batch on it). Scrubbing: every attribute value (resource, scope, point, exemplar) goes
through ``scrub_attribute``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf.message import Message

from vigie.ingest.anyvalue import (
    MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
    BadAttribute,
    Truncations,
    attribute_cache,
    cap,
    scrubbed,
)
from vigie.ingest.rows import MAX_DATETIME_S, ConvertResult, Rejections, Scrubber, build_result
from vigie.ingest.wire import as_wire
from vigie.store import tables as t

_NS = 1_000_000_000
_MAX_NS = (MAX_DATETIME_S + 1) * _NS - 1

# Metric data oneof name -> table.
_TABLES = {
    "gauge": t.METRICS_GAUGE,
    "sum": t.METRICS_SUM,
    "histogram": t.METRICS_HISTOGRAM,
    "exponential_histogram": t.METRICS_EXPONENTIAL_HISTOGRAM,
    "summary": t.METRICS_SUMMARY,
}


def convert_metrics(request: Message, scrub: Scrubber) -> ConvertResult:
    """Data points of one export request (decoded, or a generated
    ``ExportMetricsServiceRequest``) as columns of the five metric tables."""
    data: dict[str, list[list[Any]]] = {
        table: [[] for _ in t.INSERT_COLUMNS[table]] for table in _TABLES.values()
    }
    rejections = Rejections()
    seen = Truncations()
    attrs = attribute_cache(scrub).render
    scrub_text = scrub.scrub_text

    for resource_metrics in as_wire(request, "metrics").resource_metrics:
        try:
            res_attrs = attrs(resource_metrics.resource.attributes, seen)
            scope_attrs = [attrs(s.scope.attributes, seen) for s in resource_metrics.scope_metrics]
        except BadAttribute as exc:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    kind = metric.WhichOneof("data")
                    for _ in getattr(metric, kind).data_points if kind else ():
                        rejections.add(f"resource or scope with an {exc}")
            continue
        service = cap(res_attrs.get("service.name", ""), MAX_KEY_CHARS, seen)
        res_url = scrubbed(scrub_text, resource_metrics.schema_url, MAX_KEY_CHARS, seen)
        for scope_metrics, scope_attributes in zip(
            resource_metrics.scope_metrics, scope_attrs, strict=True
        ):
            scope = scope_metrics.scope
            resource_scope = (
                res_attrs,
                res_url,
                scrubbed(scrub_text, scope.name, MAX_KEY_CHARS, seen),
                scrubbed(scrub_text, scope.version, MAX_KEY_CHARS, seen),
                scope_attributes,
                scope.dropped_attributes_count,
                scrubbed(scrub_text, scope_metrics.schema_url, MAX_KEY_CHARS, seen),
                service,
            )
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    rejections.add(f"metric {metric.name[:100]!r} has no data")
                    continue
                head = (
                    *resource_scope,
                    scrubbed(scrub_text, metric.name, MAX_KEY_CHARS, seen),
                    scrubbed(scrub_text, metric.description, MAX_VALUE_CHARS, seen),
                    scrubbed(scrub_text, metric.unit, MAX_KEY_CHARS, seen),
                )
                body = getattr(metric, kind)
                tail = _TAILS[kind]
                columns = data[_TABLES[kind]]
                for point in body.data_points:
                    reason = _append(columns, head, point, body, tail, attrs, seen)
                    if reason:
                        rejections.add(reason)

    tables = [(table, t.INSERT_COLUMNS[table], cols) for table, cols in data.items()]
    return build_result(tables, rejections, seen.count, "data points")


_Attrs = Callable[[Sequence[bytes], Truncations], dict[str, str]]
_Tail = Callable[[Any, Any, _Attrs, Truncations], "tuple[Any, ...] | str"]


def _append(
    columns: list[list[Any]],
    head: tuple[Any, ...],
    point: Any,
    body: Any,
    tail: _Tail,
    attrs: _Attrs,
    seen: Truncations,
) -> str:
    """Append one point's row; returns why it was refused instead, or ``""``."""
    start = point.start_time_unix_nano
    ts = point.time_unix_nano
    if start > _MAX_NS or ts > _MAX_NS:
        return "data point with a timestamp after 2106-02-07 (DateTime)"
    try:
        point_attrs = attrs(point.attributes, seen)
        rest = tail(point, body, attrs, seen)
    except BadAttribute as exc:
        return f"data point with an {exc}"
    if isinstance(rest, str):
        return rest
    row = (*head, point_attrs, start // _NS, ts // _NS, *rest)
    for column, value in zip(columns, row, strict=True):
        column.append(value)
    return ""


def _number(holder: Any) -> float:
    """``getValue``: the double, the int as a double, or 0 when the oneof is unset."""
    kind = holder.WhichOneof("value")
    if kind == "as_double":
        return float(holder.as_double)
    if kind == "as_int":
        return float(holder.as_int)
    return 0.0


def _exemplars(point: Any, attrs: _Attrs, seen: Truncations) -> tuple[list[Any], ...] | str:
    """Exemplars.FilteredAttributes, .TimeUnix, .Value, .SpanId, .TraceId, or a refusal."""
    filtered: list[dict[str, str]] = []
    times: list[int] = []
    values: list[float] = []
    span_ids: list[str] = []
    trace_ids: list[str] = []
    for exemplar in point.exemplars:
        trace_id = exemplar.trace_id
        span_id = exemplar.span_id
        if len(trace_id) not in (0, 16) or len(span_id) not in (0, 8):
            return "exemplar with a trace id not 16 bytes or span id not 8"
        if exemplar.time_unix_nano > _MAX_NS:
            return "exemplar with a timestamp after 2106-02-07 (DateTime)"
        filtered.append(attrs(exemplar.filtered_attributes, seen))
        times.append(exemplar.time_unix_nano // _NS)
        values.append(_number(exemplar))
        # pdata ids are fixed arrays: an absent id is all zeros, and hex shows it.
        span_ids.append((span_id or bytes(8)).hex())
        trace_ids.append((trace_id or bytes(16)).hex())
    return filtered, times, values, span_ids, trace_ids


def _gauge(point: Any, body: Any, attrs: _Attrs, seen: Truncations) -> Any:
    exemplars = _exemplars(point, attrs, seen)
    if isinstance(exemplars, str):
        return exemplars
    return (_number(point), point.flags, *exemplars)


def _sum(point: Any, body: Any, attrs: _Attrs, seen: Truncations) -> Any:
    row = _gauge(point, body, attrs, seen)
    if isinstance(row, str):
        return row
    return (*row, int(body.aggregation_temporality), bool(body.is_monotonic))


def _histogram(point: Any, body: Any, attrs: _Attrs, seen: Truncations) -> Any:
    exemplars = _exemplars(point, attrs, seen)
    if isinstance(exemplars, str):
        return exemplars
    return (
        point.count,
        point.sum,
        list(point.bucket_counts),
        list(point.explicit_bounds),
        *exemplars,
        point.flags,
        point.min,
        point.max,
        int(body.aggregation_temporality),
    )


def _exponential_histogram(point: Any, body: Any, attrs: _Attrs, seen: Truncations) -> Any:
    exemplars = _exemplars(point, attrs, seen)
    if isinstance(exemplars, str):
        return exemplars
    return (
        point.count,
        point.sum,
        point.scale,
        point.zero_count,
        point.positive.offset,
        list(point.positive.bucket_counts),
        point.negative.offset,
        list(point.negative.bucket_counts),
        *exemplars,
        point.flags,
        point.min,
        point.max,
        int(body.aggregation_temporality),
    )


def _summary(point: Any, body: Any, attrs: _Attrs, seen: Truncations) -> Any:
    quantiles = point.quantile_values
    return (
        point.count,
        point.sum,
        [q.quantile for q in quantiles],
        [q.value for q in quantiles],
        point.flags,
    )


_TAILS: dict[str, _Tail] = {
    "gauge": _gauge,
    "sum": _sum,
    "histogram": _histogram,
    "exponential_histogram": _exponential_histogram,
    "summary": _summary,
}
