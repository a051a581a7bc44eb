"""Vigie's prober against loopback sites: the checks the http_check receiver would report."""

from __future__ import annotations

import http.server
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from tests.probes.sites import refused, self_signed, site
from typer.testing import CliRunner

from vigie.cli import app
from vigie.config.slo import Probe
from vigie.ingest.decode import PROTOBUF, decode_request
from vigie.ingest.metrics import convert_metrics
from vigie.ingest.rows import NoScrub
from vigie.probes import metrics as m
from vigie.probes.prober import Prober
from vigie.slo.probes import ProbeFailure

REPO = Path(__file__).resolve().parents[2]


def probe(url: str, **kw: object) -> Probe:
    return Probe.model_validate({"url": url, "interval": "10s", **kw})


def test_up_then_503_then_refused() -> None:
    sent: list[bytes] = []
    prober = Prober(sent.append)
    with site() as web:
        target = probe(web.url, body_contains="Bienvenue")
        [up] = prober.run_once([target])
        web.status = 503
        [down] = prober.run_once([target])
        web.stop()
        assert refused(web)
        [gone] = prober.run_once([target])
    prober.close()
    assert (up.status, up.validation_failed, up.error) == (200, 0, None)
    assert (down.status, down.validation_failed) == (503, 1)
    assert gone.status == 0 and gone.error is not None
    failure = ProbeFailure(web.url, gone.at, "error", gone.error)
    assert failure.error_kind == "refused"
    # what was sent is what the http_check receiver sends: one check per status point of 1
    rows = []
    for body in sent:
        request = decode_request(body, PROTOBUF, None, "metrics", 1 << 20)
        for batch in convert_metrics(request, NoScrub()).batches:
            rows += [dict(zip(batch.columns, r, strict=True)) for r in zip(*batch.data,
                                                                            strict=True)]
    hits = [(r["Attributes"].get(m.STATUS_CODE), r["Attributes"][m.STATUS_CLASS]) for r in rows
            if r["MetricName"] == m.STATUS and r["Value"] == 1]
    assert hits == [("200", "2xx"), ("503", "5xx")]
    errors = [r for r in rows if r["MetricName"] == m.ERROR]
    assert len(errors) == 1 and errors[0]["Attributes"][m.URL] == web.url


def test_tls_certificate_remaining_time(tmp_path: Path) -> None:
    server, client = self_signed(tmp_path, days=3)
    with site(server) as web:
        prober = Prober(lambda _body: None, verify=client)
        [check] = prober.run_once([probe(web.url)])
        untrusted = Prober(lambda _body: None)
        [rejected] = untrusted.run_once([probe(web.url)])
        prober.close()
        untrusted.close()
    assert check.status == 200
    assert check.cert_remaining_s is not None
    assert timedelta(days=2) < timedelta(seconds=check.cert_remaining_s) <= timedelta(days=3)
    assert rejected.status == 0
    assert ProbeFailure(web.url, rejected.at, "error", rejected.error).error_kind == "tls"


def test_cli_run_once_checks_every_probe_and_sends_to_the_collector(tmp_path: Path) -> None:
    received: list[bytes] = []

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    with site() as web:
        (tmp_path / "alerts").mkdir()
        shutil.copy(REPO / "alerts/clubs.yaml", tmp_path / "alerts/clubs.yaml")
        (tmp_path / "slo/algoets").mkdir(parents=True)
        (tmp_path / "slo/algoets/vitrine.yaml").write_text(
            f"app: vitrine\nclub: algoets\nslos:\n  - {{name: en-ligne, objective: 99, "
            f"sli: {{kind: probe}}}}\nprobes:\n  - url: {web.url}\n    expect_status: 200\n",
            encoding="utf-8")
        result = CliRunner().invoke(app, [
            "probes", "run", "--once", "--config-dir", str(tmp_path),
            "--endpoint", f"http://127.0.0.1:{sink.server_address[1]}"])
    sink.shutdown()
    sink.server_close()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{web.url}: 200 in ")
    [body] = received
    rows = convert_metrics(decode_request(body, PROTOBUF, None, "metrics", 1 << 20), NoScrub())
    assert rows.rows == 5 + 1  # five status points and the duration
