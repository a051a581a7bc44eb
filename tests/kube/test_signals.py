"""Kubernetes events into club incidents: classification, and the whole path from recorded
receiver payloads (OTLP logs and metrics posted to the service) to the fake Discord."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.fakes.discord import FakeDiscord
from tests.kube.events import deployments_request, event, events_request
from tests.test_runtime import CHANNELS, traffic

from vigie.kube.signals import classify
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.mark.parametrize(
    ("reason", "message", "kind"),
    [
        ("BackOff", "Back-off restarting failed container web in pod site-web-7c9d_site-web-prod",
         "crashloop"),
        ("BackOff", 'Back-off pulling image "ghcr.io/club/site:v2"', "image_pull"),
        ("Failed", 'Failed to pull image "ghcr.io/club/site:v2": not found', "image_pull"),
        ("OOMKilling", "Memory cgroup out of memory: Killed process 4242 (php-fpm)", "oom"),
        ("FailedScheduling", "0/3 nodes are available: 3 Insufficient memory.", "scheduling"),
        ("FailedCreate", 'pods "site-web-7c9d-x" is forbidden: exceeded quota: club-quota, '
                         "requested: limits.memory=1Gi", "quota"),
        ("FailedCreate", "some other admission error", None),
        ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", None),
    ],
)
def test_classify(reason: str, message: str, kind: str | None) -> None:
    assert classify(reason, message) == kind


def test_crashloop_with_every_pod_down_pages_the_club(
    settings: Settings, store: Store, sample_config: Path
) -> None:
    now = [datetime.now(UTC)]
    with FakeDiscord() as discord:
        hooks = {name: discord.webhook() for name in CHANNELS}
        environ = {f"VIGIE_DISCORD_{name}": discord.url(hook) for name, hook in hooks.items()}
        app = create_app(settings, store, environ=environ, clock=lambda: now[0], schedule=False)
        with TestClient(app) as client:
            for path, body in (
                ("/v1/traces", traffic(minutes=10, failing="none")),  # every app is healthy
                ("/v1/logs", events_request([
                    event("site-web-prod", "site-web-7c9d-x2k4p", "BackOff",
                          "Back-off restarting failed container web in pod "
                          "site-web-7c9d-x2k4p_site-web-prod(1f2e)", count=7),
                    event("site-web-prod", "site-web-7c9d-x2k4p", "BackOff",
                          "Back-off restarting failed container web in pod "
                          "site-web-7c9d-x2k4p_site-web-prod(1f2e)", count=9, seconds_ago=5),
                    event("wiki-prod", "wiki-5b6f-q9z", "Failed",
                          'Failed to pull image "ghcr.io/cedille/wiki:v9": not found'),
                    event("wiki", "wiki-5b6f-q9z", "FailedScheduling",
                          "0/3 nodes are available: 3 Insufficient memory.",
                          seconds_ago=3 * 3600),  # quiet for hours: ok, resolves
                    event("autre-club", "x-1", "OOMKilling", "out of memory"),  # not an app
                ])),
                ("/v1/metrics", deployments_request("site-web-prod", "site-web", available=0)),
                ("/v1/metrics", deployments_request("wiki-prod", "wiki", available=1)),
            ):
                assert client.post(path, content=body, headers=PROTOBUF).status_code == 200
            runtime = app.state.runtime
            runtime.write_queue.flush()
            now[0] = datetime.now(UTC)  # after the gauges' and events' time stamps
            evaluation = runtime.evaluator.evaluate(now[0])
            k8s = {(s.target.app, s.target.name): s for s in evaluation.statuses
                   if s.target.name.startswith("kubernetes-")}
            assert {k: s.decision.state for k, s in k8s.items()} == {
                ("site-web", "kubernetes-crashloop"): "page",
                ("wiki", "kubernetes-image-pull"): "ticket",
                ("wiki", "kubernetes-scheduling"): "ok",
            }
            crash = k8s[("site-web", "kubernetes-crashloop")]
            assert crash.details["kubernetes"]["count"] == 16  # type: ignore[index]
            runtime.after_evaluation(evaluation)
            now[0] += timedelta(seconds=31)
            runtime.after_evaluation(runtime.evaluator.evaluate(now[0]))
            assert runtime.delivery.drain(20)

    club = [json.dumps(p, ensure_ascii=False) for p in hooks["ALGOETS"].posts]
    assert len(club) == 1
    assert "Le conteneur de site-web-7c9d-x2k4p plante et redémarre en boucle" in club[0]
    assert "Aucune copie de l'application ne fonctionne : elle est hors ligne." in club[0]
    assert "<@412345678901234567>" in hooks["ALGOETS"].posts[0]["content"]
    assert not hooks["SONIA"].posts
