"""The incident page's buttons (acknowledge, silence for a chosen time, unsilence), its Grafana
link and chart range, failed deliveries, and the reader's language and time zone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from report_seed import OPENED, Seeded, build_app, post, seed, sign_in

from vigie.store import Store


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db, resolved=False)


def test_captain_acknowledges_with_a_button(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "captain", "alpha", "léa")
    wiki = seeded.other_id  # open, not acknowledged
    page = client.get(f"/incidents/{wiki}").text
    assert f'action="/incidents/{wiki}/ack"' in page and "Prendre en charge" in page
    done = post(client, f"/incidents/{wiki}/ack")
    assert done.status_code == 303 and done.headers["location"].endswith("?done=ack")
    incident, events = seeded.service.get(wiki)
    assert incident.acknowledged_by == "léa" and events[-1].kind == "acknowledged"
    after = client.get(done.headers["location"]).text
    assert "Pris en charge par léa." in after and 'role="status"' in after
    assert f'action="/incidents/{wiki}/ack"' not in after


def test_silence_for_a_chosen_time_then_unsilence(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "captain", "alpha", "léa")
    url = f"/incidents/{seeded.other_id}"
    refused = post(client, f"{url}/silence", data={"duration": "4h", "comment": " "})
    assert refused.headers["location"].endswith("?error=comment")
    assert not seeded.service.list_silences()
    done = post(client, f"{url}/silence", data={"duration": "4h", "comment": "migration"})
    assert done.headers["location"].endswith("?done=silenced")
    (silence,) = seeded.service.list_silences()
    now = seeded.service.clock()
    assert (silence.club, silence.app, silence.slo) == ("alpha", "wiki", "availability")
    assert silence.ends_at - now == timedelta(hours=4) and silence.author == "léa"
    page = client.get(url).text
    assert "En sourdine jusqu" in page and "migration" in page and "Lever la sourdine" in page
    lifted = post(client, f"{url}/unsilence")
    assert lifted.headers["location"].endswith("?done=unsilenced")
    assert not seeded.service.list_silences()
    assert post(client, f"{url}/unsilence").headers["location"].endswith("?error=none")


def test_let_rollouts_through_the_gate_from_the_page(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "captain", "alpha", "léa")
    url = f"/incidents/{seeded.incident_id}"  # shop: it has SLOs, so a gate
    assert "Autoriser le déploiement" in client.get(url).text
    refused = post(client, f"{url}/gate-override", data={"duration": "3d", "reason": "fix"})
    assert refused.headers["location"].endswith("?error=duration")
    done = post(client, f"{url}/gate-override", data={"duration": "4h", "reason": "le correctif"})
    assert done.headers["location"].endswith("?done=override")
    page = client.get(done.headers["location"]).text
    assert "passent le contrôle jusqu" in page and "Autoriser le déploiement" not in page
    _, events = seeded.service.get(seeded.incident_id)
    assert (events[-1].kind, events[-1].author) == ("gate_override", "léa")
    # wiki has no SLO, so no gate: no button
    assert "Autoriser le déploiement" not in client.get(f"/incidents/{seeded.other_id}").text


def test_other_club_may_not_act_and_gets_a_403_in_its_language(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "captain", "gamma", "bob")  # gamma reads English
    for action in ("ack", "silence", "unsilence", "gate-override"):
        answer = post(client, f"/incidents/{seeded.other_id}/{action}", data={"duration": "1h"})
        assert answer.status_code == 403 and '<html lang="en">' in answer.text
        assert "Forbidden" in answer.text
    assert seeded.service.get(seeded.other_id)[0].acknowledged_by is None
    assert not seeded.service.list_silences()


def test_french_captain_gets_another_clubs_403_in_french(db: Store) -> None:
    seeded = seed(db, resolved=False)
    service = seeded.service
    # an incident of gamma (English), read by alpha's (French) captain
    from report_seed import _event

    gamma = _event("INC-GAMMA00001", 1, OPENED, "opened", app="site")
    service.incidents.append([gamma.__class__(**{**gamma.__dict__, "club": "gamma"})])
    client = TestClient(build_app(service), follow_redirects=False)
    sign_in(client, "captain", "alpha", "léa")
    answer = client.get("/incidents/INC-GAMMA00001")
    assert answer.status_code == 403
    assert '<html lang="fr">' in answer.text and "Accès refusé" in answer.text


def test_grafana_link_times_and_failed_delivery(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "captain", "alpha")
    page = client.get(f"/incidents/{seeded.incident_id}").text
    link = re.search(r'href="(https://grafana\.test/d/[^"]+)"', page)
    assert link is not None
    start_ms = re.search(r"from=(\d+)", link.group(1))
    assert start_ms and "to=now" in link.group(1)  # still open: up to the present
    # the notice Discord refused is shown as failed, in words
    row = re.search(r'<tr class="failed">.*?</tr>', page)
    assert row and "notification — Alpha : alerte envoyée\u202f; ÉCHEC de l&#39;envoi" in row[0]
    # times in the club's zone, UTC on hover
    local = OPENED.astimezone(__import__("zoneinfo").ZoneInfo("America/Montreal"))
    assert f'title="{OPENED:%Y-%m-%d %H:%M:%S} UTC">{local:%Y-%m-%d %H:%M:%S}</time>' in page


def test_the_chart_of_an_open_incident_ends_at_the_present(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "admin")
    svg = client.get(f"/incidents/{seeded.incident_id}").text
    now = seeded.service.clock()
    ends = re.findall(r"<title>(\d\d:\d\d) UTC</title>", svg)
    assert ends[-1] == f"{(now + timedelta(seconds=59)).replace(second=0):%H:%M}"


def test_an_admin_chooses_the_page_language_for_their_token(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "admin", label="ops")
    assert '<html lang="fr">' in client.get("/incidents").text
    assert 'action="/language"' in client.get("/incidents").text
    chosen = post(client, "/language", data={"lang": "en", "next": "/incidents"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/incidents"
    assert '<html lang="en">' in client.get("/incidents").text
    assert '<html lang="en">' in client.get(f"/incidents/{seeded.incident_id}").text
    sign_in(client, "admin", label="other")  # another token keeps its own language
    assert '<html lang="fr">' in client.get("/incidents").text
    sign_in(client, "captain", "alpha")  # captains read their club's language
    assert 'action="/language"' not in client.get("/incidents").text
