"""Ingest throughput: spans/s through the OTLP/HTTP receiver into chdb, beside two ceilings.

    .venv/bin/python bench/ingest.py [--seconds 20] [--clients 2] [--batch 512]

Prints, from one run on this machine:
- receiver: spans/s accepted *and written* by a ``vigie serve`` subprocess (protobuf, 512-span
  batches, 10 attributes per span, N concurrent clients), and the service's peak RSS;
- engine ceiling: rows/s of ``INSERT … SELECT FROM numbers()`` into the same ``otel_traces``;
- decode ceiling: spans/s of the pure-Python decode + scrub + convert of the same payloads;
and the receiver's rate as a ratio of each ceiling. The machine is shared: the load average
before and after is printed, and so is the service's CPU time per span, which other processes
disturb much less than wall-clock rates. Numbers, not assertions: see the issue's targets
(≥ 50,000 spans/s, RSS < 1 GiB).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

ROUTES = ["/", "/api/v1/problems/{id}", "/api/v1/submissions", "/static/{path}", "/login"]
# The platform collectors' ingest token (admins.ingest_token in alerts/clubs.yaml).
TOKEN = "bench-platform-token"
HEADERS = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"}


def payload(spans: int, seed: int) -> bytes:
    """One OTLP request: ``spans`` server spans of one service, 10 attributes each."""
    rnd = random.Random(seed)
    now = time.time_ns()
    resource = Resource(
        attributes=[
            _kv("service.name", f"bench-{seed % 4}"),
            _kv("deployment.environment.name", "prod"),
        ]
    )
    scope = ScopeSpans()
    for _ in range(spans):
        start = now - rnd.randrange(60_000_000_000)
        route = rnd.choice(ROUTES)
        code = rnd.choice([200] * 40 + [404, 500])
        scope.spans.append(
            Span(
                trace_id=rnd.randbytes(16),
                span_id=rnd.randbytes(8),
                name=f"GET {route}",
                kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=start,
                end_time_unix_nano=start + rnd.randrange(1_000_000, 900_000_000),
                attributes=[
                    _kv("http.request.method", "GET"),
                    _kv("http.route", route),
                    _kv("http.response.status_code", code),
                    _kv("url.path", route.replace("{id}", str(rnd.randrange(1000)))),
                    _kv("url.scheme", "https"),
                    _kv("server.address", "site-web.clubs.etsmtl.ca"),
                    _kv("server.port", 443),
                    _kv("network.protocol.version", "1.1"),
                    _kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
                    _kv("http.request.body.size", rnd.randrange(2000)),
                ],
                status=Status(
                    code=Status.STATUS_CODE_ERROR if code >= 500 else Status.STATUS_CODE_UNSET
                ),
            )
        )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[scope])]
    )
    return request.SerializeToString()


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ReceiverRun:
    spans: int  # accepted (and written)
    spans_per_s: float
    refused: int
    peak_rss_mib: list[float]  # the service's process, then any child processes
    cpu_s: float  # CPU seconds the service's processes used while the clients ran and drained


def _processes(pid: int) -> list[int]:
    """``pid`` and its child processes."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def run_receiver(
    bodies: list[bytes],
    spans_per_body: int,
    seconds: float,
    clients: int,
    service_env: dict[str, str],
) -> ReceiverRun:
    proc, url = start_serve(service_env)
    try:
        sent = [0] * clients
        refused = [0] * clients
        deadline = time.perf_counter() + seconds

        def client(i: int) -> None:
            with httpx.Client(timeout=30) as http:
                k = i
                while time.perf_counter() < deadline:
                    r = http.post(
                        f"{url}/v1/traces",
                        content=bodies[k % len(bodies)],
                        headers=HEADERS,
                    )
                    if r.status_code == 200:
                        sent[i] += spans_per_body
                    else:
                        refused[i] += 1
                        time.sleep(float(r.headers.get("Retry-After", "0.1")) / 10)
                    k += clients

        pids = _processes(proc.pid)
        cpu_before = _cpu_s(pids)
        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        accepted = sum(sent)
        # accepted spans count once they are written: wait for the queue to drain
        while httpx.get(f"{url}/readyz", timeout=10).json()["queued_rows"]:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        return ReceiverRun(
            spans=accepted,
            spans_per_s=accepted / elapsed,
            refused=sum(refused),
            peak_rss_mib=[_peak_rss_mib(pid) for pid in pids],
            cpu_s=_cpu_s(pids) - cpu_before,
        )
    finally:
        proc.terminate()
        proc.wait(60)


def start_serve(service_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A ``vigie serve`` subprocess on a fresh chdb directory and a free port, accepting the
    bench's platform token; returns it once ready, and its base URL."""
    data_dir = tempfile.mkdtemp(prefix="vigie-bench-")
    port = free_port()
    env = {
        "VIGIE_CONFIG_DIR": str(Path(__file__).parents[1]),  # the repository's slo/, alerts/
        **os.environ,
        "VIGIE_CLICKHOUSE_DSN": f"chdb://{data_dir}",
        "VIGIE_LOG_LEVEL": "WARNING",
        "VIGIE_INGEST_TOKEN_PLATFORM": TOKEN,
        **service_env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "vigie.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
    except BaseException:
        proc.terminate()
        raise
    return proc, url


def _wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("vigie serve did not start")


def engine_ceiling(rows: int) -> float:
    """Rows/s the engine inserts into otel_traces from numbers(): the store's own limit."""
    from vigie.settings import load_settings
    from vigie.store import connect
    from vigie.store.migrations import migrate

    settings = load_settings(clickhouse_dsn=f"chdb://{tempfile.mkdtemp(prefix='vigie-ceiling-')}")
    store = connect(settings)
    migrate(store, settings)
    store.timeout_s = 600  # one long statement, on a machine other work may be slowing
    started = time.perf_counter()
    store.command(
        "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName,"
        " ResourceAttributes, SpanAttributes, Duration, StatusCode)"
        " SELECT now64(9) - number, hex(number), hex(number), 'GET /', 'Server', 'bench',"
        " map('service.name', 'bench'),"
        " map('http.request.method', 'GET', 'http.route', '/', 'http.response.status_code', '200',"
        "     'url.path', '/', 'url.scheme', 'https', 'server.address', 'a', 'server.port', '443',"
        "     'network.protocol.version', '1.1', 'user_agent.original', 'x',"
        "     'http.request.body.size', toString(number % 2000)),"
        " number * 1000, 'Unset' FROM numbers({n:UInt64})",
        {"n": rows},
    )
    return rows / (time.perf_counter() - started)


def decode_ceiling(bodies: list[bytes], spans_per_body: int, seconds: float) -> float:
    from vigie.ingest.pipeline import Ingest

    ingest = Ingest.default(max_body_bytes=64 * 1024 * 1024)
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for body in bodies:
            ingest.convert("traces", body, "application/x-protobuf", None)
            done += spans_per_body
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument(
        "--batch-rows", type=int, help="the service's ingest_batch_rows (default: its setting)"
    )
    parser.add_argument("--engine-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    print(f"load average before: {_load()}")
    bodies = [payload(args.batch, seed) for seed in range(32)]
    service_env = {}
    if args.batch_rows:
        service_env["VIGIE_INGEST_BATCH_ROWS"] = str(args.batch_rows)
    run = run_receiver(bodies, args.batch, args.seconds, args.clients, service_env)
    decode = decode_ceiling(bodies, args.batch, min(args.seconds, 5))
    engine = engine_ceiling(args.engine_rows)
    receiver = run.spans_per_s
    service, *children = run.peak_rss_mib
    print(
        f"receiver       {receiver:12,.0f} spans/s  ({args.clients} clients,"
        f" {args.batch}-span protobuf batches, 10 attributes;"
        f" {run.refused} requests answered 429/503;"
        f" batch_rows {args.batch_rows or 'default'})"
    )
    print(f"service CPU    {run.cpu_s / run.spans * 1e6:12,.1f} µs/span")
    rss = f"service RSS    {service + sum(children):12,.0f} MiB peak"
    if children:
        rss += f" (service {service:,.0f} + workers {' + '.join(f'{c:,.0f}' for c in children)})"
    print(rss)
    print(f"decode ceiling {decode:12,.0f} spans/s  receiver = {receiver / decode:.2f}x of it")
    print(f"engine ceiling {engine:12,.0f} rows/s   receiver = {receiver / engine:.2f}x of it")
    print(f"load average after: {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
