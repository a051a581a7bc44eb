"""A real OTLP/HTTP server on 127.0.0.1 that decodes and keeps what the generator sends."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span


@dataclass
class Sink:
    url: str
    traces: list[ExportTraceServiceRequest] = field(default_factory=list)
    logs: list[ExportLogsServiceRequest] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # Answers to give before the normal 200s: (status, extra headers).
    refusals: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Items reported as rejected in each successful answer's partial_success.
    reject: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spans(self) -> list[tuple[dict[str, str], Span]]:
        """Every span received, with its resource attributes (all values as text)."""
        with self.lock:
            return [
                (attrs(rs.resource.attributes), span)
                for message in self.traces
                for rs in message.resource_spans
                for ss in rs.scope_spans
                for span in ss.spans
            ]

    def records(self) -> list[tuple[dict[str, str], LogRecord]]:
        with self.lock:
            return [
                (attrs(rl.resource.attributes), record)
                for message in self.logs
                for rl in message.resource_logs
                for sl in rl.scope_logs
                for record in sl.log_records
            ]


def _text(value: object) -> str:
    kind = value.WhichOneof("value")  # type: ignore[attr-defined]
    return str(getattr(value, kind)) if kind else ""


def attrs(kvs: object) -> dict[str, str]:
    """OTLP key-values as a dict of their values' text."""
    return {kv.key: _text(kv.value) for kv in kvs}  # type: ignore[attr-defined]


@contextmanager
def running_sink() -> Iterator[Sink]:
    state = Sink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                state.headers.append(dict(self.headers))
                refusal = state.refusals.pop(0) if state.refusals else None
            if refusal is not None:
                self.send_response(refusal[0])
                for k, v in refusal[1].items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            answer: ExportTraceServiceResponse | ExportLogsServiceResponse
            if self.path == "/v1/traces":
                message = ExportTraceServiceRequest.FromString(body)
                answer = ExportTraceServiceResponse()
                answer.partial_success.rejected_spans = state.reject
                with state.lock:
                    state.traces.append(message)
            elif self.path == "/v1/logs":
                logs = ExportLogsServiceRequest.FromString(body)
                answer = ExportLogsServiceResponse()
                answer.partial_success.rejected_log_records = state.reject
                with state.lock:
                    state.logs.append(logs)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            payload = answer.SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
