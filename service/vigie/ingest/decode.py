"""OTLP/HTTP request bodies decoded into protobuf messages, or refused with an HTTP status.

Accepted (OTLP/HTTP specification, as the collector's receiver does):

* ``Content-Type: application/x-protobuf`` (binary) or ``application/json`` (OTLP/JSON:
  the proto3 JSON mapping with hex ``traceId``/``spanId``/``parentSpanId``; being lenient as the
  collector is, enum names, original snake_case field names and 64-bit numbers as JSON numbers
  are accepted too, and unknown fields are ignored). Anything else is 415.
* ``Content-Encoding: gzip`` (also ``deflate``, ``identity`` or none). A body starting with the
  gzip magic bytes is inflated even without the header: neither a protobuf message (wire type 7
  does not exist) nor JSON can start that way, so this is unambiguous. Other encodings are 415.
* The size limit applies to the body as sent and to the inflated body; inflation stops as soon
  as it passes the limit, so a small "zip bomb" costs at most ``max_bytes`` of memory: 413.
* Anything that does not parse is 400 with a message saying what: bad gzip, bad JSON, bad hex
  id, bad protobuf (including strings that are not UTF-8, which proto3 forbids and the protobuf
  runtime refuses). Attribute lists are parsed later, per row (see :mod:`vigie.ingest.wire`):
  a bad attribute costs its row only.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, Literal

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from vigie.errors import IngestError
from vigie.ingest import wire

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

Signal = Literal["traces", "logs", "metrics"]

# The generated OTLP classes: the JSON mapping is parsed with them.
OTLP_TYPES: dict[str, type[Message]] = {
    "traces": ExportTraceServiceRequest,
    "logs": ExportLogsServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}

_GZIP_MAGIC = b"\x1f\x8b"
# OTLP/JSON writes these byte fields in hex; the proto3 JSON parser expects base64.
_HEX_ID_KEYS = frozenset(
    {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}
)


class IngestHttpError(IngestError):
    """A request the receiver refuses as a whole; ``status`` is the HTTP answer."""

    status = 400


class MalformedPayload(IngestHttpError):
    status = 400


class PayloadTooLarge(IngestHttpError):
    status = 413


class UnsupportedMediaType(IngestHttpError):
    status = 415


def decode_request(
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    signal: Signal,
    max_bytes: int,
) -> Message:
    """Decode one OTLP/HTTP export request body of ``signal``; raises :class:`IngestHttpError`.

    The message is of the :mod:`vigie.ingest.wire` class of the signal: the OTLP request with
    attribute lists left as raw ``KeyValue`` bytes, which is what the converters read fastest.
    """
    media = media_type(content_type)
    if media not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(
            f"unsupported Content-Type {content_type!r}: use {PROTOBUF} or {JSON}"
        )
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"request body of {len(body)} bytes exceeds {max_bytes} bytes")
    raw = _inflate(body, content_encoding, max_bytes)
    if media == JSON:
        otlp = OTLP_TYPES[signal]()
        _parse_json(raw, otlp)
        raw = otlp.SerializeToString()
    message = wire.REQUEST_TYPES[signal]()
    _parse_protobuf(raw, message)
    return message


def media_type(content_type: str | None) -> str:
    """The bare, lower-case media type of a Content-Type header (parameters dropped)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _inflate(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        if not body.startswith(_GZIP_MAGIC):
            return body
        encoding = "gzip"
    if encoding == "gzip":
        return _bounded_inflate(body, zlib.MAX_WBITS | 16, max_bytes, "gzip")
    if encoding == "deflate":
        # HTTP "deflate" is zlib-wrapped, but some clients send raw deflate: accept both.
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
        return _bounded_inflate(body, wbits, max_bytes, "deflate")
    raise UnsupportedMediaType(
        f"unsupported Content-Encoding {content_encoding!r}: use gzip or none"
    )


def _bounded_inflate(body: bytes, wbits: int, max_bytes: int, name: str) -> bytes:
    """Inflate every member of ``body`` (gzip allows several, one after another), stopping
    as soon as the output passes ``max_bytes``.

    Linear in the body: the inflater is fed growing slices of the body (``_FIRST_SLICE``,
    doubling while a member lasts, up to ``_MAX_SLICE``), because zlib copies the input left
    over after a member ends into ``unused_data``. Feeding the whole rest of the body, as a
    plain loop would, makes a body of many tiny members cost quadratic copying; here each
    member's leftover copy is at most the size of the member itself (or ``_FIRST_SLICE``).
    """
    out = bytearray()
    view = memoryview(body)
    pos = 0  # where the next slice of the body starts
    pending: bytes | memoryview = b""  # input handed to the current inflater, not consumed
    inflater = zlib.decompressobj(wbits)
    fed = False  # whether the current member has started
    step = _FIRST_SLICE
    try:
        while pending or pos < len(view):
            if not pending:
                pending, pos = view[pos : pos + step], pos + step
                step = min(step * 2, _MAX_SLICE)
            fed = True
            out += inflater.decompress(pending, max_bytes + 1 - len(out))
            if len(out) > max_bytes:
                raise PayloadTooLarge(f"{name} body inflates past {max_bytes} bytes")
            if inflater.eof:  # one member done: the next one starts with its leftover input
                pending = inflater.unused_data
                inflater, fed, step = zlib.decompressobj(wbits), False, _FIRST_SLICE
            else:
                pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise MalformedPayload(f"invalid {name} body: {exc}") from None
    if fed:
        raise MalformedPayload(f"truncated {name} body")
    return bytes(out)


_FIRST_SLICE = 256
_MAX_SLICE = 256 * 1024


def _parse_protobuf(raw: bytes, message: Message) -> None:
    try:
        message.ParseFromString(raw)
    except DecodeError as exc:
        raise MalformedPayload(
            f"invalid protobuf {message.DESCRIPTOR.name}: {exc} (corrupt or truncated body, "
            "or a string that is not UTF-8)"
        ) from None


def _parse_json(raw: bytes, message: Message) -> None:
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise MalformedPayload("invalid JSON body: not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise MalformedPayload(f"invalid JSON body: {exc}") from None
    except RecursionError:
        raise MalformedPayload("invalid JSON body: nested too deeply") from None
    if not isinstance(document, dict):
        raise MalformedPayload("invalid OTLP/JSON body: the top level must be an object")
    try:
        _hex_ids_to_base64(document, 0)
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise MalformedPayload(f"invalid OTLP/JSON {message.DESCRIPTOR.name}: {exc}") from None
    except RecursionError:
        raise MalformedPayload("invalid OTLP/JSON body: nested too deeply") from None


_MAX_JSON_DEPTH = 200


def _hex_ids_to_base64(node: Any, depth: int) -> None:
    """Rewrite OTLP/JSON hex ids in place into the base64 the proto3 JSON parser expects."""
    if depth > _MAX_JSON_DEPTH:
        raise MalformedPayload("invalid OTLP/JSON body: nested too deeply")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_ID_KEYS and isinstance(value, str):
                node[key] = _hex_to_base64(key, value)
            elif isinstance(value, dict | list):
                _hex_ids_to_base64(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _hex_ids_to_base64(item, depth + 1)


def _hex_to_base64(key: str, value: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedPayload(f"invalid OTLP/JSON {key} {value[:40]!r}: not hex") from None
    return base64.b64encode(raw).decode("ascii")


__all__ = [
    "JSON",
    "PROTOBUF",
    "IngestHttpError",
    "MalformedPayload",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "decode_request",
    "media_type",
]
