"""Running the real collector (``collector_config/_build/otelcol-vigie``) and ``vigie serve`` in
tests: paths, free ports, configs derived from the committed ones, processes that stop cleanly.

Tests that need the binary take the ``otelcol`` fixture (conftest.py): skipped with the reason
when it is not built, a failure instead when ``VIGIE_REQUIRE_COLLECTOR=1`` (set by .ci/run).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from tests.collector.app import TEXT_KEY, Stored

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "collector_config"
BINARY = CONFIG_DIR / "_build" / "otelcol-vigie"
CONFIGS = ("agent.yaml", "gateway.yaml", "local.yaml", "embedded.yaml")
# What each committed config needs in its environment to validate (the others have defaults).
# embedded.yaml sends the platform collectors' ingest token, which vigie_serve() accepts.
INGEST_TOKEN = "platform-collectors-test-token"
REQUIRED_ENV: dict[str, dict[str, str]] = {
    "agent.yaml": {"K8S_NODE_NAME": "node-1"},
    "embedded.yaml": {"VIGIE_INGEST_TOKEN": INGEST_TOKEN},
}

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 30.0


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def local_endpoints(config: dict[str, Any]) -> dict[str, int]:
    """Point the OTLP receiver, health check and telemetry of ``config`` at free loopback ports
    (tests run next to each other and next to real collectors); returns the ports."""
    ports = {"grpc": free_port(), "http": free_port(), "health": free_port()}
    protocols = config["receivers"]["otlp"]["protocols"]
    protocols["grpc"]["endpoint"] = f"127.0.0.1:{ports['grpc']}"
    protocols["http"]["endpoint"] = f"127.0.0.1:{ports['http']}"
    config["extensions"]["health_check"]["endpoint"] = f"127.0.0.1:{ports['health']}"
    config["service"]["telemetry"] = {"logs": {"level": "info"}, "metrics": {"level": "none"}}
    return ports


def with_processors(
    config: dict[str, Any], source: Mapping[str, Any], names: list[str]
) -> dict[str, Any]:
    """``config`` whose every pipeline runs ``names``, defined as in ``source``."""
    derived = copy.deepcopy(config)
    derived["processors"] = {name: copy.deepcopy(source["processors"][name]) for name in names}
    for pipeline in derived["service"]["pipelines"].values():
        pipeline["processors"] = list(names)
    return derived


def pipeline_processors(config: Mapping[str, Any], signal_name: str = "traces") -> list[str]:
    names = config["service"]["pipelines"][signal_name]["processors"]
    assert isinstance(names, list)
    return [str(n) for n in names]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def wait_http_ok(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited ({process.returncode}):\n{log.read_text()}")
        if _get(url) == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready after {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM, then wait: both the collector and ``vigie serve`` flush what they hold."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(
                f"no clean shutdown in {SHUTDOWN_TIMEOUT_S} s:\n{log.read_text()}"
            ) from None


@contextmanager
def collector(
    binary: Path, config: dict[str, Any], workdir: Path, env: Mapping[str, str] | None = None
) -> Iterator[Path]:
    """Run the collector on ``config`` until the block ends; yields its log file. The health
    check must answer before the block starts, and the shutdown must be clean."""
    path = workdir / "otelcol.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    log = workdir / "otelcol.log"
    health = config["extensions"]["health_check"]["endpoint"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "--config", str(path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        wait_http_ok(f"http://{health}/", process, log)
        yield log
    finally:
        stop(process, log)


@contextmanager
def vigie_serve(data_dir: Path, config_dir: Path) -> Iterator[tuple[str, Path]]:
    """``vigie serve`` on a free port with its own chdb directory; yields (base URL, log)."""
    port = free_port()
    for part in ("slo", "alerts"):  # the service reads its config at start-up
        shutil.copytree(REPO / part, config_dir / part, dirs_exist_ok=True)
    log = config_dir / "vigie-serve.log"
    env = {
        **os.environ,
        "VIGIE_CLICKHOUSE_DSN": f"chdb://{data_dir}",
        "VIGIE_CLICKHOUSE_DATABASE": "otel",
        "VIGIE_CONFIG_DIR": str(config_dir),
        "VIGIE_INGEST_FLUSH_INTERVAL_S": "0.2",
        "VIGIE_INGEST_TOKEN_PLATFORM": INGEST_TOKEN,  # admins.ingest_token in alerts/clubs.yaml
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vigie.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(f"{base}/readyz", process, log)
        yield base, log
    finally:
        stop(process, log)


READBACK = """
import json, sys
from vigie.settings import load_settings
from vigie.store import connect
store = connect(load_settings(clickhouse_dsn=sys.argv[1], clickhouse_database=sys.argv[2]))
out = {}
for table, columns in json.loads(sys.argv[3]).items():
    result = store.query(f"SELECT {', '.join(columns)} FROM {table}", {})
    out[table] = [dict(zip(columns, row)) for row in result.rows]
print(json.dumps(out, default=str))
"""


def read_rows(data_dir: Path, tables: Mapping[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``tables`` from a stopped ``vigie serve``'s chdb directory. In a child process:
    chdb opens one data directory per process, and this test process may hold another."""
    result = subprocess.run(
        [sys.executable, "-c", READBACK, f"chdb://{data_dir}", "otel", json.dumps(tables)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows: dict[str, list[dict[str, Any]]] = json.loads(result.stdout.strip().splitlines()[-1])
    return rows


def _value(value: Mapping[str, Any]) -> str:
    """An OTLP/JSON AnyValue as the text the ClickHouse exporter would store."""
    if "stringValue" in value:
        return str(value["stringValue"])
    if not value:
        return ""
    ((kind, inner),) = value.items()
    return json.dumps(inner) if kind in ("kvlistValue", "arrayValue") else str(inner)


def _attrs(items: list[Mapping[str, Any]] | None) -> dict[str, str]:
    return {item["key"]: _value(item.get("value", {})) for item in items or []}


def read_file_export(path: Path) -> tuple[list[Stored], list[Stored]]:
    """Spans and log records of a file exporter's OTLP/JSON output (one request per line)."""
    spans: list[Stored] = []
    logs: list[Stored] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        for rs in doc.get("resourceSpans", []):
            resource = _attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                for span in ss.get("spans", []):
                    events = span.get("events", [])
                    texts = {
                        "name": [span["name"]],
                        "status": [span.get("status", {}).get("message", "")],
                        "event_name": [e["name"] for e in events],
                        "event_text": [
                            _attrs(e.get("attributes")).get(TEXT_KEY, "") for e in events
                        ],
                    }
                    spans.append(Stored(resource, _attrs(span.get("attributes")), texts))
        for rl in doc.get("resourceLogs", []):
            resource = _attrs(rl.get("resource", {}).get("attributes"))
            for sl in rl.get("scopeLogs", []):
                for record in sl.get("logRecords", []):
                    texts = {"body": [_value(record.get("body", {}))]}
                    logs.append(Stored(resource, _attrs(record.get("attributes")), texts))
    return spans, logs
