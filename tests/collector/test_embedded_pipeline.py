"""End to end on the embedded default: an SDK-instrumented app → the real collector started
with embedded.yaml, running the agent's processors → OTLP/HTTP → ``vigie serve`` on chdb.

The rows are read back from the service's chdb directory after both processes stopped (each
flushes on SIGTERM), in a child process: chdb allows one data directory per process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.collector.app import TEXT_KEY, Stored, check_scrubbed, corpus, send
from tests.collector.otelcol import (
    collector,
    load,
    local_endpoints,
    pipeline_processors,
    read_rows,
    vigie_serve,
    with_processors,
)
from tests.collector.test_gateway_pipeline import AGENT_ENV, WITHOUT_API

TABLES = {
    "otel_traces": [
        "ResourceAttributes",
        "SpanAttributes",
        "SpanName",
        "StatusMessage",
        "`Events.Name`",
        "`Events.Attributes`",
    ],
    "otel_logs": ["ResourceAttributes", "LogAttributes", "Body"],
}


def _span(row: dict[str, Any]) -> Stored:
    texts = {
        "name": [row["SpanName"]],
        "status": [row["StatusMessage"]],
        "event_name": list(row["`Events.Name`"]),
        "event_text": [a.get(TEXT_KEY, "") for a in row["`Events.Attributes`"]],
    }
    return Stored(row["ResourceAttributes"], row["SpanAttributes"], texts)


def _log(row: dict[str, Any]) -> Stored:
    return Stored(row["ResourceAttributes"], row["LogAttributes"], {"body": [row["Body"]]})


def test_app_to_collector_to_vigie_serve_on_chdb(otelcol: Path, tmp_path: Path) -> None:
    cases = corpus()
    data_dir = tmp_path / "chdb"
    agent = load("agent.yaml")
    names = [p for p in pipeline_processors(agent) if p not in WITHOUT_API]
    config = with_processors(load("embedded.yaml"), agent, names)
    ports = local_endpoints(config)
    (tmp_path / "otelcol").mkdir()

    with vigie_serve(data_dir, tmp_path) as (base_url, _log_file):
        config["exporters"]["otlp_http/vigie"]["endpoint"] = base_url
        with collector(otelcol, config, tmp_path / "otelcol", AGENT_ENV):
            send(f"http://127.0.0.1:{ports['http']}", cases, {"service.name": "club-app"})
        # The collector stopped first (flushing to the service), then the service (flushing
        # its write queue to chdb).

    rows = read_rows(data_dir, TABLES)
    spans = [_span(row) for row in rows["otel_traces"]]
    logs = [_log(row) for row in rows["otel_logs"]]
    check_scrubbed(cases, spans, logs)
    for record in spans + logs:
        assert record.resource["service.name"] == "club-app"
        assert record.resource["k8s.cluster.name"] == "ci-cluster"
        assert record.resource["deployment.environment.name"] == "ci"
