"""End to end on the embedded default: an SDK-instrumented app → the real collector started
with embedded.yaml, running the agent's processors → OTLP/HTTP → ``vigie serve`` on chdb.

The rows are read back from the service's chdb directory after both processes stopped (each
flushes on SIGTERM), in a child process: chdb allows one data directory per process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.collector import fake_kube
from tests.collector.app import TEXT_KEY, Stored, check_scrubbed, corpus, send
from tests.collector.otelcol import (
    REQUIRED_ENV,
    collector,
    load,
    local_endpoints,
    pipeline_processors,
    read_rows,
    vigie_serve,
    with_processors,
)
from tests.collector.test_gateway_pipeline import AGENT_ADDS, AGENT_ENV, agent_against_fake_api

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
    agent = agent_against_fake_api()
    config = with_processors(load("embedded.yaml"), agent, pipeline_processors(agent))
    ports = local_endpoints(config)
    (tmp_path / "otelcol").mkdir()

    with (
        fake_kube.fake_kube_api(tmp_path) as kube_env,
        vigie_serve(data_dir, tmp_path) as (base_url, _log_file),
    ):
        config["exporters"]["otlp_http/vigie"]["endpoint"] = base_url
        token = REQUIRED_ENV["embedded.yaml"]
        with collector(otelcol, config, tmp_path / "otelcol", {**AGENT_ENV, **kube_env, **token}):
            send(f"http://127.0.0.1:{ports['http']}", cases, {"service.name": "club-app"})
        # The collector stopped first (flushing to the service), then the service (flushing
        # its write queue to chdb).

    rows = read_rows(data_dir, TABLES)
    spans = [_span(row) for row in rows["otel_traces"]]
    logs = [_log(row) for row in rows["otel_logs"]]
    check_scrubbed(cases, spans, logs)
    for record in spans + logs:
        assert record.resource["service.name"] == "club-app"
        assert {k: record.resource.get(k) for k in AGENT_ADDS} == AGENT_ADDS
