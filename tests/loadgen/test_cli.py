from __future__ import annotations

import typer
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from tests.loadgen.sink import Sink, attrs
from typer.testing import CliRunner

from vigie.cli.loadgen import loadgen


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("loadgen")(loadgen)

    @app.callback()
    def _root() -> None:
        pass

    return app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_cli(), ["loadgen", *args])
    return result.exit_code, result.output


def test_history_mode_writes_back_dated_telemetry_of_the_chosen_apps(sink: Sink) -> None:
    code, output = _run(
        "--endpoint", sink.url, "--history-days", "3.5", "--history-rate", "0.5",
        "--apps", "algoets/site-web,sonia/portail", "--seed", "4",
    )  # fmt: skip
    assert code == 0, output
    assert "incident: outage algoets/site-web" in output
    assert "cedille" not in output
    spans = sink.spans()
    assert {r["service.name"] for r, _ in spans} == {"site-web", "portail"}
    assert f"{len(spans):,} spans" in output
    assert "history:" in output and "seed" not in output


def test_the_ingest_token_goes_in_every_request(sink: Sink) -> None:
    """History (httpx) and live (the SDK's exporters) both send Authorization: Bearer."""
    history = ("--history-days", "0.05", "--history-rate", "5", "--apps", "sonia/portail")
    live = ("--duration", "1", "--rate", "20", "--apps", "sonia/portail")
    for mode in (history, live):
        code, output = _run("--endpoint", sink.url, "--seed", "1", "--token", "s3cret", *mode)
        assert code == 0, output
    assert sink.headers
    sent = [{k.lower(): v for k, v in h.items()}.get("authorization") for h in sink.headers]
    assert set(sent) == {"Bearer s3cret"}


def test_live_mode_runs_for_its_duration_with_a_scenario(sink: Sink) -> None:
    code, output = _run(
        "--endpoint", sink.url, "--rate", "40", "--duration", "1.5",
        "--apps", "algoets/site-web", "--scenario", "outage:algoets/site-web",
        "--scenario-start", "0", "--timeout", "5",
    )  # fmt: skip
    assert code == 0, output
    assert output.startswith("seed: ")
    assert "scenario from +0 s: outage algoets/site-web" in output
    servers = [s for _, s in sink.spans() if s.kind == Span.SPAN_KIND_SERVER]
    assert 20 < len(servers) < 110
    assert {attrs(s.attributes)["http.response.status_code"] for s in servers} == {"503"}
    assert f"exported {len(sink.spans()):,} spans" in output


def test_bad_input_is_a_usage_error() -> None:
    code, output = _run("--scenario", "meltdown:algoets/site-web", "--duration", "0")
    assert code == 2 and "kind must be one of" in output
    code, output = _run("--apps", "cedille/nope", "--duration", "0")
    assert code == 2 and "unknown app" in output
    code, output = _run("--history-days", "1", "--scenario", "outage:cedille/wiki")
    assert code == 2 and "apply to live runs" in output


def test_unreachable_receiver_fails_the_live_run() -> None:
    code, output = _run(
        "--endpoint", "http://127.0.0.1:9", "--rate", "20", "--duration", "0.3", "--timeout", "0.5"
    )  # fmt: skip
    assert code == 1
    assert "failed exports" in output
