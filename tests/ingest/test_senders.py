"""Ingest tokens: who may send, and for which club (``vigie.ingest.senders``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from tests.ingest.test_receiver import PROTOBUF, make_app, sdk_spans
from typer.testing import CliRunner

from vigie import cli
from vigie.config import load_config
from vigie.errors import ConfigError
from vigie.ingest.senders import (
    ANONYMOUS,
    PLATFORM,
    Senders,
    Unauthorized,
    check_anonymous_host,
)
from vigie.server import create_app
from vigie.settings import Settings
from vigie.store import Store

TOKENS = {
    "VIGIE_INGEST_TOKEN_PLATFORM": "platform-secret",
    "VIGIE_INGEST_TOKEN_SONIA": "sonia-secret",
    "VIGIE_INGEST_TOKEN_ALGOETS": "algoets-secret",
}


def bearer(token: str) -> dict[str, str]:
    return {**PROTOBUF, "Authorization": f"Bearer {token}"}


@pytest.fixture()
def client(settings: Settings, store: Store, sample_config: Path) -> Iterator[TestClient]:
    secure = settings.model_copy(update={"ingest_anonymous": False})
    app = create_app(secure, store, environ=TOKENS, schedule=False)
    with TestClient(app) as client:
        yield client


def namespaces(store: Store) -> list[tuple[str, str, int]]:
    return [
        tuple(row)
        for row in store.query(
            "SELECT ServiceName, ResourceAttributes['k8s.namespace.name'], count()"
            " FROM otel_traces GROUP BY 1, 2 ORDER BY 1, 2"
        ).rows
    ]


def test_tokens_name_their_sender(sample_config: Path, tmp_path: Path) -> None:
    (tmp_path / "sonia.token").write_text("from-a-file\n")
    config = load_config(sample_config)
    environ = {**TOKENS, "VIGIE_INGEST_TOKEN_SONIA": "unused"}
    senders = Senders.from_config(config, environ, anonymous=False)
    assert senders.identify("Bearer platform-secret") == PLATFORM
    algoets = senders.identify("bearer  algoets-secret ")
    assert (algoets.club, sorted(algoets.services)) == ("algoets", ["api-concours", "site-web"])
    for header in (None, "", "Bearer", "Basic cGxhdGZvcm0tc2VjcmV0", "Bearer nope"):
        with pytest.raises(Unauthorized):
            senders.identify(header)
    assert Senders.from_config(config, {}, anonymous=True).identify(None) == ANONYMOUS
    # a token that cannot be read is skipped, never a crash; a wrong token stays refused
    with pytest.raises(Unauthorized):
        Senders.from_config(config, {}, anonymous=True).identify("Bearer platform-secret")


def test_no_token_is_401_and_nothing_is_read(client: TestClient, store: Store) -> None:
    body = sdk_spans().SerializeToString()
    for headers in (PROTOBUF, bearer("wrong")):
        refused = client.post("/v1/traces", content=body, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "token" in status_pb2.Status.FromString(refused.content).message
    assert namespaces(store) == []


def _spans(service: str, **resource: str) -> ExportTraceServiceRequest:
    """Three SDK spans of ``service`` with these resource attributes."""
    exported = sdk_spans(**resource)
    for attribute in exported.resource_spans[0].resource.attributes:
        if attribute.key == "service.name":
            attribute.value.string_value = service
    return exported


def post(client: TestClient, request: ExportTraceServiceRequest, token: str) -> int:
    body = request.SerializeToString()
    return client.post("/v1/traces", content=body, headers=bearer(token)).status_code


def test_club_token_writes_its_namespace_and_its_declared_services(
    client: TestClient, store: Store
) -> None:
    # any service in its namespace; a service its SLO files declare, without namespace: stamped
    assert post(client, _spans("robot", **{"k8s.namespace.name": "sonia"}), "sonia-secret") == 200
    assert post(client, _spans("portail"), "sonia-secret") == 200
    assert namespaces(store) == [("portail", "sonia", 3), ("robot", "sonia", 3)]


def test_club_token_cannot_speak_for_another_club(client: TestClient, store: Store) -> None:
    """The forged spans of the issue: service.name=portail (SONIA's app) from another club."""
    forged = [
        _spans("portail"),  # SONIA's service, with AlgoÉTS's token
        _spans("portail", **{"k8s.namespace.name": "sonia"}),
        _spans("site-web", **{"k8s.namespace.name": "sonia"}),  # its own app, another namespace
    ]
    for request in forged:
        refused = client.post(
            "/v1/traces", content=request.SerializeToString(), headers=bearer("algoets-secret")
        )
        assert refused.status_code == 403
        assert "club algoets" in status_pb2.Status.FromString(refused.content).message
    # a request mixing its own resource with a forged one is refused whole
    mixed = _spans("site-web")
    mixed.resource_spans.extend(_spans("portail").resource_spans)
    assert post(client, mixed, "algoets-secret") == 403
    assert namespaces(store) == []


def test_platform_token_keeps_the_namespace_it_is_sent(client: TestClient, store: Store) -> None:
    for namespace in ("sonia", "algoets"):
        resource = {"k8s.namespace.name": namespace}
        assert post(client, _spans("portail", **resource), "platform-secret") == 200
    assert post(client, _spans("portail"), "platform-secret") == 200
    assert namespaces(store) == [
        ("portail", "", 3),  # counts for no club (the club is never the service name's)
        ("portail", "algoets", 3),
        ("portail", "sonia", 3),
    ]


def test_anonymous_only_when_enabled(settings: Settings, store: Store, sample_config: Path) -> None:
    body = sdk_spans().SerializeToString()
    with TestClient(make_app(settings, store)) as client:  # tests enable it (conftest)
        assert client.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    assert Settings.model_fields["ingest_anonymous"].default is False


def test_anonymous_senders_only_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        check_anonymous_host(True, host)
    check_anonymous_host(False, "0.0.0.0")
    for host in ("0.0.0.0", "10.0.0.5", "::", "vigie.cedille.svc"):
        with pytest.raises(ConfigError, match="VIGIE_INGEST_ANONYMOUS"):
            check_anonymous_host(True, host)
    # `vigie serve` refuses before it listens
    monkeypatch.setenv("VIGIE_INGEST_ANONYMOUS", "true")
    result = CliRunner().invoke(cli.app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "VIGIE_INGEST_ANONYMOUS" in result.output
