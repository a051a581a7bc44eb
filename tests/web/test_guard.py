"""CSRF defences of the pages: a session token in every form post, the origin checked, and a
double-submit token on the login form (which has no session yet)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from report_seed import Seeded, build_app, seed
from tests.apps import ORIGIN, csrf_in, login, services_of

from vigie.store import Store


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db)


@pytest.fixture()
def client(seeded: Seeded) -> TestClient:
    return TestClient(build_app(seeded.service), follow_redirects=False)


def _signed_in(client: TestClient) -> str:
    token, _ = services_of(client.app).tokens.create("captain", "alpha", "marie")  # type: ignore[arg-type]
    assert login(client, token).status_code == 303
    return token


def test_a_cross_site_report_post_saves_nothing(client: TestClient, seeded: Seeded) -> None:
    _signed_in(client)
    url = f"/incidents/{seeded.incident_id}/report"
    csrf = csrf_in(client.get(url).text)
    form = {"version": "1", "section_root_cause": "forged", "intent": "save"}
    club_site = {"Origin": "https://club.example"}
    attempts = [
        client.post(url, data=form, headers={"Origin": ORIGIN}),  # no token
        client.post(url, data={**form, "csrf": "0" * 64}, headers={"Origin": ORIGIN}),
        client.post(url, data={**form, "csrf": csrf}, headers=club_site),  # another origin
        client.post(url, data={**form, "csrf": csrf}),  # neither Origin nor Referer
        client.post(url, data={**form, "csrf": csrf}, headers={"Referer": "https://x.example/"}),
    ]
    assert [a.status_code for a in attempts] == [403] * 5
    assert "forged" not in client.get(url).text
    ok = client.post(url, data={**form, "csrf": csrf}, headers={"Referer": f"{ORIGIN}/incidents"})
    assert ok.status_code == 303


def test_the_csrf_token_belongs_to_the_session(client: TestClient, seeded: Seeded) -> None:
    _signed_in(client)
    url = f"/incidents/{seeded.incident_id}/report"
    mine = csrf_in(client.get(url).text)
    other = TestClient(client.app, follow_redirects=False)  # type: ignore[arg-type]
    _signed_in(other)
    assert csrf_in(other.get(url).text) != mine
    form = {"version": "1", "section_root_cause": "x", "intent": "save", "csrf": mine}
    assert other.post(url, data=form, headers={"Origin": ORIGIN}).status_code == 403


def test_login_needs_its_form_token_and_origin(client: TestClient) -> None:
    token, _ = services_of(client.app).tokens.create("admin")  # type: ignore[arg-type]
    # a page of another site posting the attacker's token: no form cookie, or another origin
    forged = client.post("/login", data={"token": token, "csrf": "x"}, headers={"Origin": ORIGIN})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    form_token = csrf_in(client.get("/login").text)
    data = {"token": token, "csrf": form_token}
    cross = client.post("/login", data=data, headers={"Origin": "https://club.example"})
    assert cross.status_code == 403 and "vigie_token" not in cross.headers.get("set-cookie", "")
    assert client.post("/login", data=data, headers={"Origin": ORIGIN}).status_code == 303


def test_logout_is_a_checked_form_too(client: TestClient) -> None:
    _signed_in(client)
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 403
    csrf = csrf_in(client.get("/incidents").text)
    out = client.post("/logout", data={"csrf": csrf}, headers={"Origin": ORIGIN})
    assert out.status_code == 303 and out.headers["location"] == "/login"
