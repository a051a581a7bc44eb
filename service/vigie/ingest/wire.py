"""OTLP messages as the receiver parses them: attribute lists kept as raw bytes.

Reading one attribute through the generated OTLP classes costs two wrapper objects (the
``KeyValue`` and its ``AnyValue``); at ten attributes a span that is most of the conversion time.
These classes are the OTLP schema with one change: every ``attributes`` /
``filtered_attributes`` field (``repeated KeyValue``) is declared ``repeated bytes``. Both are
length-delimited on the wire, so the same body parses with either schema, and each attribute
arrives as the serialized ``KeyValue`` — a hashable key for the converters' memo of rendered,
scrubbed attributes (attribute values repeat massively). A memo miss parses the bytes with the
real ``KeyValue`` class.

Because attribute bytes are parsed late, their UTF-8 and nesting checks happen per row in the
converters (the row is refused) instead of failing the whole body.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor, FileDescriptor
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

_OTLP = "opentelemetry.proto."
_WIRE = "vigie.wire."
_KEY_VALUE = ".opentelemetry.proto.common.v1.KeyValue"
_RAW_FIELDS = ("attributes", "filtered_attributes")


def _files_in_dependency_order() -> list[FileDescriptor]:
    ordered: list[FileDescriptor] = []

    def visit(file: FileDescriptor) -> None:
        for dependency in file.dependencies:
            visit(dependency)
        if file not in ordered:
            ordered.append(file)

    for module in (trace_service_pb2, logs_service_pb2, metrics_service_pb2):
        visit(module.DESCRIPTOR)
    return ordered


def _rewritten(file: FileDescriptor) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    proto.name = "vigie/wire/" + proto.name
    proto.package = proto.package.replace(_OTLP, _WIRE, 1)
    deps = ["vigie/wire/" + dep for dep in proto.dependency]
    del proto.dependency[:]
    proto.dependency.extend(deps)
    proto.ClearField("service")
    proto.ClearField("options")
    for message in proto.message_type:
        _rewrite_message(message)
    return proto


def _rewrite_message(message: descriptor_pb2.DescriptorProto) -> None:
    for field in message.field:
        if field.type_name == _KEY_VALUE and field.name in _RAW_FIELDS:
            field.type = FieldDescriptor.TYPE_BYTES
            field.ClearField("type_name")
        elif field.type_name.startswith("." + _OTLP):
            field.type_name = field.type_name.replace(_OTLP, _WIRE, 1)
    for nested in message.nested_type:
        _rewrite_message(nested)


def _build() -> dict[str, type[Message]]:
    pool = descriptor_pool.DescriptorPool()
    for file in _files_in_dependency_order():
        pool.Add(_rewritten(file))
    names = {
        "traces": "vigie.wire.collector.trace.v1.ExportTraceServiceRequest",
        "logs": "vigie.wire.collector.logs.v1.ExportLogsServiceRequest",
        "metrics": "vigie.wire.collector.metrics.v1.ExportMetricsServiceRequest",
    }
    return {
        signal: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
        for signal, name in names.items()
    }


# Request classes per signal, attribute lists as raw KeyValue bytes.
REQUEST_TYPES: dict[str, type[Message]] = _build()


def as_wire(request: Message, signal: str) -> Message:
    """``request`` (a generated OTLP message or already a wire one) as the wire class."""
    wire_type = REQUEST_TYPES[signal]
    if isinstance(request, wire_type):
        return request
    return wire_type.FromString(request.SerializeToString())
