from __future__ import annotations

import random
import statistics
from dataclasses import replace

import pytest

from vigie.loadgen.catalog import SAMPLE_APPS, App
from vigie.loadgen.model import (
    PII_SHARE,
    REQUEST_TIMEOUT_NS,
    Kind,
    RequestShape,
    Severity,
    generate_request,
)
from vigie.loadgen.scenarios import Effects

T0 = 1_790_000_000 * 10**9
SITE, API = SAMPLE_APPS[0], SAMPLE_APPS[1]
EMAIL = "@etsmtl.ca"


def _many(app: App, n: int, effects: Effects | None = None, seed: int = 7) -> list[RequestShape]:
    rng = random.Random(seed)
    effects = effects or Effects(version=app.version)
    return [generate_request(app, T0 + i * 10**9, effects, rng) for i in range(n)]


def test_same_seed_same_requests_other_seed_other_requests() -> None:
    assert _many(API, 200, seed=3) == _many(API, 200, seed=3)
    assert _many(API, 200, seed=3) != _many(API, 200, seed=4)


def test_server_span_uses_stable_http_semantic_conventions() -> None:
    for r in _many(API, 300):
        server = r.server
        assert server.kind is Kind.SERVER and server.parent is None
        a = server.attributes
        method, route = a["http.request.method"], a["http.route"]
        assert server.name == f"{method} {route}"
        assert isinstance(a["http.response.status_code"], int)
        assert isinstance(a["url.path"], str) and a["url.path"].startswith("/")
        assert "{" not in a["url.path"]
        assert not {"http.method", "http.status_code", "http.target"} & set(a)


def test_children_are_db_and_http_client_spans_inside_their_parent() -> None:
    requests = _many(SITE, 1000) + _many(API, 1000)
    kinds = set()
    for r in requests:
        for child in r.spans[1:]:
            assert child.kind is Kind.CLIENT and child.parent == 0
            assert child.offset_ns >= 0
            assert child.offset_ns + child.duration_ns <= r.server.duration_ns
            a = child.attributes
            if "db.system.name" in a:
                kinds.add("db")
                assert a["db.system.name"] == "postgresql"
                assert str(a["db.query.text"]).startswith(str(a["db.operation.name"]))
                assert "$1" in str(a["db.query.text"]) or "LIMIT" in str(a["db.query.text"])
                assert child.name == f"{a['db.operation.name']} {a['db.collection.name']}"
            else:
                kinds.add("http")
                assert a["url.full"].startswith("http://")  # type: ignore[union-attr]
        assert len({s.span_id for s in r.spans}) == len(r.spans)
    assert kinds == {"db", "http"}


def test_background_errors_are_500s_at_the_configured_rate() -> None:
    noisy = replace(API, error_rate=0.05)
    requests = _many(noisy, 4000)
    failed = [r for r in requests if r.failed]
    assert 0.035 < len(failed) / len(requests) < 0.065
    assert {r.status for r in failed} == {500}
    assert all(r.server.attributes["error.type"] for r in failed)


def test_client_errors_are_not_errors_and_server_errors_are() -> None:
    requests = _many(replace(API, error_rate=0.02), 3000) + _many(SITE, 3000)
    statuses = {r.status for r in requests}
    assert {404, 422, 401} <= statuses
    for r in requests:
        assert (r.server.error is not None) == (r.status >= 500)
        assert ("error.type" in r.server.attributes) == (r.status >= 500)


def test_outage_fails_the_requested_share_with_503_and_a_failing_db_span() -> None:
    requests = _many(API, 2000, Effects(version=API.version, outage_share=0.5))
    outage = [r for r in requests if r.status == 503]
    assert 0.44 < len(outage) / len(requests) < 0.56
    for r in outage:
        assert r.failed
        db = [s for s in r.spans[1:] if "db.system.name" in s.attributes]
        assert db and db[0].error is not None
        assert db[0].attributes["error.type"] == "psycopg.OperationalError"
    full = _many(SITE, 300, Effects(version=SITE.version, outage_share=1.0))
    assert all(r.status == 503 for r in full)


def test_latency_factor_scales_durations() -> None:
    base = statistics.median(r.server.duration_ns for r in _many(API, 2000))
    slow = statistics.median(
        r.server.duration_ns
        for r in _many(API, 2000, Effects(version=API.version, latency_factor=10))
    )
    assert 8 < slow / base < 12


def test_effects_version_is_the_requests_version() -> None:
    assert {r.version for r in _many(API, 10, Effects(version="7.0.0"))} == {"7.0.0"}


def test_every_failure_has_an_error_log_on_its_server_span_and_only_failures_do() -> None:
    for r in _many(replace(API, error_rate=0.05), 2000):
        errors = [log for log in r.logs if log.severity is Severity.ERROR]
        if r.failed:
            assert len(errors) == 1
            log = errors[0]
            assert log.span == 0
            assert log.attributes["exception.type"] == r.server.attributes["error.type"]
            assert str(log.attributes["exception.message"]) in log.body
            assert 0 <= log.offset_ns <= r.server.duration_ns
        else:
            assert errors == []


def test_info_logs_on_successful_writes() -> None:
    infos = [log for r in _many(API, 1000) for log in r.logs if log.severity is Severity.INFO]
    assert infos and all(log.body.startswith("submission ") for log in infos)
    assert all("{" not in log.body for log in infos)


@pytest.mark.parametrize("app", [SAMPLE_APPS[0], SAMPLE_APPS[4]], ids=lambda a: a.key)
def test_a_small_share_carries_personal_data(app: App) -> None:
    requests = _many(app, 5000)
    with_ip = [r for r in requests if "client.address" in r.server.attributes]
    assert 0.5 * PII_SHARE < len(with_ip) / len(requests) < 1.6 * PII_SHARE
    emails = [log for r in requests for log in r.logs if EMAIL in log.body]
    assert emails, "login failures log the user's e-mail"
    assert all(log.body.startswith("login failed for ") for log in emails)
    assert len(emails) / len(requests) < 0.05
    # Apps without a login route never log an e-mail.
    assert not [log for r in _many(API, 2000) for log in r.logs if EMAIL in log.body]


def test_requests_slower_than_the_worker_timeout_are_cut_and_fail() -> None:
    forge = SAMPLE_APPS[3]
    requests = _many(forge, 2000, Effects(version=forge.version, latency_factor=60))
    cut = [r for r in requests if r.status == 504]
    assert cut and all(r.server.duration_ns == REQUEST_TIMEOUT_NS and r.failed for r in cut)
    assert max(r.server.duration_ns for r in requests) == REQUEST_TIMEOUT_NS
    assert all(any(log.severity is Severity.ERROR for log in r.logs) for r in cut)
