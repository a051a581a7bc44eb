"""Collector sizing: what the built collector spends per span on the gateway's processors.

    .venv/bin/python bench/collector.py [--seconds 15] [--clients 2] [--batch 512]

Runs collector_config/_build/otelcol-vigie (collector_config/build.sh) twice on loopback, OTLP/HTTP
protobuf in, a file exporter to /dev/null out (no ClickHouse here):
- baseline: `memory_limiter` only;
- gateway: `memory_limiter` → `transform/pii`, the gateway's processors (the agent runs the same
  transform, plus k8s_attributes and batch);
and prints, for each, spans/s accepted, the collector's CPU time per span and its peak RSS, and
the gateway's CPU per span as a ratio of the baseline's. deploy/'s collector requests and limits
come from these numbers (docs/deploy.md). The machine is shared: CPU time per span is the
number to read, wall-clock rates move with the load.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.collector.otelcol import BINARY, load, local_endpoints, stop, wait_http_ok

from ingest import _cpu_s, _peak_rss_mib, payload

VARIANTS = {"baseline": ["memory_limiter"], "gateway": ["memory_limiter", "transform/pii"]}


@dataclass
class Run:
    spans: int
    seconds: float
    cpu_s: float
    peak_rss_mib: float


def config_for(processors: list[str]) -> dict[str, Any]:
    """gateway.yaml with only ``processors`` in one traces pipeline, exporting to /dev/null."""
    gateway = load("gateway.yaml")
    config = copy.deepcopy(gateway)
    config["processors"] = {name: gateway["processors"][name] for name in processors}
    config["extensions"] = {"health_check": gateway["extensions"]["health_check"]}
    config["exporters"] = {"file/null": {"path": "/dev/null"}}
    config["service"]["extensions"] = ["health_check"]
    config["service"]["pipelines"] = {
        "traces": {"receivers": ["otlp"], "processors": processors, "exporters": ["file/null"]}
    }
    return config


def run(config: dict[str, Any], bodies: list[bytes], spans_per_body: int, seconds: float,
        clients: int, workdir: Path) -> Run:
    ports = local_endpoints(config)
    path = workdir / "otelcol.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    log = workdir / "otelcol.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(BINARY), "--config", str(path)], stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        wait_http_ok(f"http://127.0.0.1:{ports['health']}/", process, log)
        url = f"http://127.0.0.1:{ports['http']}/v1/traces"
        accepted = [0] * clients
        stop_at = time.monotonic() + seconds

        def client(index: int) -> None:
            with httpx.Client(timeout=10) as http:
                sent = index
                while time.monotonic() < stop_at:
                    response = http.post(url, content=bodies[sent % len(bodies)],
                                         headers={"Content-Type": "application/x-protobuf"})
                    if response.status_code == 200:
                        accepted[index] += spans_per_body
                    sent += clients

        cpu_before = _cpu_s([process.pid])
        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return Run(sum(accepted), time.monotonic() - started,
                   _cpu_s([process.pid]) - cpu_before, _peak_rss_mib(process.pid))
    finally:
        stop(process, log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--batch", type=int, default=512)
    args = parser.parse_args()
    if not BINARY.is_file():
        print(f"{BINARY} is missing: run collector_config/build.sh", file=sys.stderr)
        return 1
    bodies = [payload(args.batch, seed) for seed in range(16)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, processors in VARIANTS.items():
            workdir = Path(tmp) / name
            workdir.mkdir()
            results[name] = run(config_for(processors), bodies, args.batch, args.seconds,
                                args.clients, workdir)
    for name, result in results.items():
        print(f"{name:9} {result.spans / result.seconds:10,.0f} spans/s  "
              f"{result.cpu_s / result.spans * 1e6:6.1f} µs CPU/span  "
              f"{result.peak_rss_mib:6.0f} MiB peak RSS  ({result.spans:,} spans)")
    base, gateway = results["baseline"], results["gateway"]
    ratio = (gateway.cpu_s / gateway.spans) / (base.cpu_s / base.spans)
    print(f"gateway CPU per span = {ratio:.1f}x the baseline's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
