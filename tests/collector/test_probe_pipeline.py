"""End to end, for real: loopback club sites → Vigie's prober → the project's built collector
(embedded.yaml) → the Vigie service on chdb (its app served on a loopback port) → probe SLO
states → an incident → the fake Discord.

The sites: one over HTTP that answers, then answers 503, then refuses connections; one over
HTTPS with a 30-day self-signed certificate that stays up (its certificate verdict is ok: the
expiry path is tests/probes/test_certificates.py; a ticket here would wait for quiet hours).
The collector is the real binary; the evaluation and delivery are driven step by step on the
service's clock, as in tests/test_runtime.py, so the test waits for rows, never for minutes.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from tests.collector.otelcol import (
    INGEST_TOKEN,
    REPO,
    REQUIRED_ENV,
    collector,
    free_port,
    load,
    local_endpoints,
)
from tests.fakes.discord import FakeDiscord
from tests.probes.sites import self_signed, site

from vigie.config.slo import Probe
from vigie.probes.otlp import Check
from vigie.probes.prober import Prober, otlp_sender
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

CHANNELS = ("ADMIN", "ALGOETS", "CEDILLE", "SONIA")
ROWS_TIMEOUT_S = 60.0

# embedded.yaml sends the platform collectors' ingest token; the service knows it.
PLATFORM_TOKEN = {"VIGIE_INGEST_TOKEN_PLATFORM": INGEST_TOKEN}


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app on a loopback port (uvicorn in a thread, as `vigie serve` runs it)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def checks(prober: Prober, probes: list[Probe]) -> list[Check]:
    """One round, in a second of its own: the exporter stores whole seconds, and the rollup
    takes the points of one URL in one second as one check (real intervals are >= 10 s)."""
    second = int(time.time())
    while int(time.time()) == second:
        time.sleep(0.05)
    return prober.run_once(probes)


def stored_checks(store: Store) -> int:
    return int(store.query("SELECT sum(Checks) FROM vigie_probe_minute").scalar() or 0)


def test_site_down_reaches_the_captain_through_the_built_collector(
    otelcol: Path, settings: Settings, store: Store, tmp_path: Path
) -> None:
    server_tls, client_tls = self_signed(tmp_path, days=30)
    with site() as web, site(server_tls) as secure, FakeDiscord() as discord:
        # The sample clubs, and one app watched only by probes (no other app: nothing else is
        # silent, so no "telemetry stopped" notice and no platform incident).
        shutil.copytree(REPO / "alerts", settings.config_dir / "alerts")
        (settings.config_dir / "slo/algoets").mkdir(parents=True)
        site_probes = [{"url": web.url, "interval": "10s", "body_contains": "Bienvenue"},
                       {"url": secure.url, "interval": "10s"}]
        (settings.config_dir / "slo/algoets/vitrine.yaml").write_text(json.dumps({
            "app": "vitrine", "club": "algoets",
            "slos": [{"name": "en-ligne", "objective": 99, "min_events": 5,
                      "sli": {"kind": "probe"}}],
            "probes": site_probes,
        }), encoding="utf-8")
        hooks = {name: discord.webhook() for name in CHANNELS}
        environ = {f"VIGIE_DISCORD_{name}": discord.url(hook) for name, hook in hooks.items()}
        now = [datetime.now(UTC)]
        app = create_app(settings, store, environ={**environ, **PLATFORM_TOKEN},
                         clock=lambda: now[0], schedule=False)
        config = load("embedded.yaml")
        ports = local_endpoints(config)
        (tmp_path / "otelcol").mkdir()
        with served(app) as base_url:
            config["exporters"]["otlp_http/vigie"]["endpoint"] = base_url
            with collector(otelcol, config, tmp_path / "otelcol", REQUIRED_ENV["embedded.yaml"]):
                prober = Prober(otlp_sender(f"http://127.0.0.1:{ports['http']}"),
                                verify=client_tls)
                probes = [Probe.model_validate(p) for p in site_probes]
                rounds = [checks(prober, probes) for _ in range(4)]  # up
                web.status = 503
                rounds += [checks(prober, probes) for _ in range(4)]  # 503
                web.stop()
                rounds += [checks(prober, probes) for _ in range(6)]  # refused
                prober.close()
                sent = 2 * len(rounds)
                runtime = app.state.runtime
                deadline = time.monotonic() + ROWS_TIMEOUT_S
                while stored_checks(store) < sent and time.monotonic() < deadline:
                    runtime.write_queue.flush()
                    time.sleep(0.2)
                assert stored_checks(store) == sent
            # every check's minute is complete one minute later
            now[0] = datetime.now(UTC) + timedelta(minutes=1)
            evaluation = runtime.evaluator.evaluate(now[0])
            verdicts = {s.target.name: s for s in evaluation.statuses if s.target.app == "vitrine"}
            assert verdicts["certificat-localhost-" + str(secure.port)].decision.state == "ok"
            status = verdicts["en-ligne"]
            assert status.decision.state == "page", status.decision.reason
            assert status.decision.events_total == sent
            assert status.decision.events_bad == 10  # 4 answers 503 (body mismatch) + 6 refused
            [failure] = status.details["probe"]
            assert failure["url"] == web.url and failure["error_kind"] == "refused"
            runtime.after_evaluation(evaluation)
            now[0] += timedelta(seconds=31)  # past the default group_wait
            runtime.after_evaluation(runtime.evaluator.evaluate(now[0]))
            assert runtime.delivery.drain(20)

    club = [json.dumps(p, ensure_ascii=False) for p in hooks["ALGOETS"].posts]
    admins = [json.dumps(p, ensure_ascii=False) for p in hooks["ADMIN"].posts]
    assert len(club) == 1 and len(admins) == 1
    for text in (club[0], admins[0]):
        assert "ne répond plus depuis" in text and "connexion refusée" in text
        assert f"localhost:{web.port}" in text and f"localhost:{secure.port}" not in text
    assert "<@412345678901234567>" in hooks["ALGOETS"].posts[0]["content"]
    assert not hooks["CEDILLE"].posts and not hooks["SONIA"].posts
