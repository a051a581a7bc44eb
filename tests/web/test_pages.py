"""The pages through TestClient: login, access by club, list filters, incident page, editor."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from report_seed import OPENED, Seeded
from tests.apps import ORIGIN, post_form, services_of
from tests.apps import login as sign_in

from vigie.incidents.model import PLATFORM_SLO, Event
from vigie.incidents.store import IncidentStore


def login(client: TestClient, role: str, club: str = "", label: str = "") -> str:
    tokens = services_of(client.app).tokens
    token = tokens.create(role, club, label)[0]  # type: ignore[arg-type]
    answer = sign_in(client, token)
    assert answer.status_code == 303 and answer.headers["location"] == "/incidents"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    return token


def test_without_a_token_only_the_login_prompt(client: TestClient, seeded: Seeded) -> None:
    for path in ("/incidents", f"/incidents/{seeded.incident_id}",
                 f"/incidents/{seeded.incident_id}/report"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    page = client.get("/login")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert '<label for="token">Jeton</label>' in page.text
    bad = sign_in(client, "nope")
    assert bad.status_code == 401 and "Jeton invalide." in bad.text
    evil = sign_in(client, "nope", "//evil.example")
    assert "//evil.example" not in evil.text


def test_captain_sees_only_their_club(client: TestClient, seeded: Seeded) -> None:
    login(client, "captain", "gamma")
    listing = client.get("/incidents")
    assert listing.status_code == 200 and '<html lang="en">' in listing.text
    assert seeded.incident_id not in listing.text
    assert client.get("/incidents", params={"club": "alpha"}).text.count(seeded.incident_id) == 0
    assert client.get(f"/incidents/{seeded.incident_id}").status_code == 403
    assert client.get(f"/incidents/{seeded.incident_id}/report").status_code == 403
    form = {"version": "1", "section_root_cause": "x", "intent": "save"}
    post = client.post(f"/incidents/{seeded.incident_id}/report", data=form,
                       headers={"Origin": ORIGIN})  # fmt: skip
    assert post.status_code == 403
    assert client.get("/incidents/INC-NOPE").status_code == 403  # existence is not revealed


def test_admin_list_filters(client: TestClient, seeded: Seeded) -> None:
    login(client, "admin")
    assert client.get("/incidents/INC-NOPE").status_code == 404
    everything = client.get("/incidents").text
    assert seeded.incident_id in everything and seeded.other_id in everything
    shop = client.get("/incidents", params={"app": "shop"}).text
    assert seeded.incident_id in shop and seeded.other_id not in shop
    opened = client.get("/incidents", params={"state": "open"}).text
    assert seeded.other_id in opened and seeded.incident_id not in opened
    assert seeded.incident_id in client.get("/incidents", params={"club": "alpha"}).text
    assert seeded.incident_id not in client.get("/incidents", params={"club": "gamma"}).text


def test_incident_page_facts_timeline_and_chart(client: TestClient, seeded: Seeded) -> None:
    login(client, "captain", "alpha")
    page = client.get(f"/incidents/{seeded.incident_id}")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="fr">' in html and "<main" in html and "<header>" in html
    assert "Début de l&#39;impact" in html or "Début de l'impact" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "<polyline points=" in html
    assert 'role="img"' in html and '<title id="chart-title">' in html
    assert "déploiement — version 1.1 déployée (remplace 1.0)" in html
    assert "alerte aggravée" in html
    english = client.get(f"/incidents/{seeded.incident_id}", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "Start of impact" in english
    assert "alert escalated" in english and "deployment — version 1.1 deployed" in english


def test_editor_save_reload_and_conflict(client: TestClient, seeded: Seeded) -> None:
    login(client, "captain", "alpha", "marie")
    url = f"/incidents/{seeded.incident_id}/report"
    editor = client.get(url)
    assert editor.status_code == 200
    assert '<label for="section_root_cause">Cause racine</label>' in editor.text
    assert 'aria-describedby="prompt_root_cause"' in editor.text
    assert re.search(r'name="version" value="1"', editor.text)
    preview = post_form(client, url, url, {"version": "1", "section_root_cause": "<b>pool</b>",
                                     "intent": "preview"})  # fmt: skip
    assert preview.status_code == 200 and "&lt;b&gt;pool&lt;/b&gt;" in preview.text
    assert "<b>pool</b>" not in preview.text
    saved = post_form(client, url, url, {"version": "1", "section_root_cause": "pool exhausted",
                                   "action_1_action": "raise the pool", "action_1_owner": "léa",
                                   "intent": "save"})  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=2")
    reloaded = client.get(saved.headers["location"])
    assert "Version 2 enregistrée." in reloaded.text
    assert ">pool exhausted</textarea>" in reloaded.text
    assert 'value="raise the pool"' in reloaded.text
    stale = post_form(client, url, url, {"version": "1", "section_root_cause": "dns",
                                   "intent": "save"})  # fmt: skip
    assert stale.status_code == 409
    assert "version 2" in stale.text and ">dns</textarea>" in stale.text
    assert ">pool exhausted</textarea>" in client.get(url).text


def test_a_platform_incident_is_named_for_the_whole_platform(
    client: TestClient, seeded: Seeded
) -> None:
    seeded.service.incidents.append([Event(
        "INC-PLATFORM01", 1, OPENED, OPENED, "opened", "", "", "", PLATFORM_SLO, "page",
        "3 apps", {"affected": [["alpha", "shop", ""], ["beta", "cart", ""]]}, "",
    )])  # fmt: skip
    assert isinstance(seeded.service.incidents, IncidentStore)
    login(client, "admin")
    page = client.get("/incidents/INC-PLATFORM01").text
    assert re.search(r"<h1>Incident INC-PLATFORM01 — (toute la plateforme|the whole platform)",
                     page), page[:500]
    assert "INC-PLATFORM01" in client.get("/incidents").text
