"""The report editor's review buttons, the timeline entries people add, the published reports
and their export; /docs served without any network."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from report_seed import OPENED, Seeded, post, sign_in


def test_timeline_entries_in_local_time(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "captain", "alpha", "léa")
    url = f"/incidents/{seeded.incident_id}/report"
    client.get(url)
    local = OPENED.astimezone(ZoneInfo("America/Montreal"))
    bad = post(client, url, data={"version": "1", "note_1_at": "hier", "note_1_text": "x",
                                 "intent": "save"})  # fmt: skip
    assert bad.status_code == 422 and "Heure illisible" in bad.text
    form = {"version": "1", "note_1_at": f"{local:%Y-%m-%d %H:%M}",
            "note_1_text": "Marie voit des erreurs 500", "intent": "save"}  # fmt: skip
    assert post(client, url, data=form).status_code == 303
    page = client.get(url).text
    assert (
        f'value="{local:%Y-%m-%d %H:%M}"' in page and 'value="Marie voit des erreurs 500"' in page
    )
    incident = client.get(f"/incidents/{seeded.incident_id}").text
    assert f'title="{OPENED:%Y-%m-%d %H:%M}:00 UTC">' in incident
    assert "note — Marie voit des erreurs 500 (léa)" in incident


def test_review_buttons_publish_list_and_export(client: TestClient, seeded: Seeded) -> None:
    url = f"/incidents/{seeded.incident_id}/report"
    sign_in(client, "captain", "alpha", "léa")
    page = client.get(url).text
    assert "capitaines d&#39;Alpha" in page and "brouillon" in page
    post(client, f"{url}/review", data={"action": "claim"})
    refused = post(client, f"{url}/review", data={"action": "submit", "reviewer": ""})
    assert refused.headers["location"].endswith("?error=need_reviewer")
    assert "Nommez la personne" in client.get(refused.headers["location"]).text
    post(client, f"{url}/review", data={"action": "submit", "reviewer": "sam"})
    page = client.get(url).text
    assert "en relecture, par léa" in page and ">Publier</button>" in page
    not_reviewer = post(client, f"{url}/review", data={"action": "publish"})
    assert not_reviewer.headers["location"].endswith("?error=not_reviewer")
    assert client.get(f"{url}/published.md").status_code == 404
    sign_in(client, "captain", "alpha", "sam")
    post(client, f"{url}/review", data={"action": "publish"})
    assert "publié, par sam" in client.get(url).text
    incident_page = client.get(f"/incidents/{seeded.incident_id}").text
    assert "(publié ; responsable : léa)" in incident_page
    listing = client.get("/reports").text
    assert seeded.incident_id in listing and "Rapports publiés — Alpha" in listing
    md = client.get(f"{url}/published.md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Post-mortem : shop — disponibilité")
    assert "- **Statut** : publié, par sam" in md.text
    sign_in(client, "admin", label="ops")
    assert seeded.incident_id in client.get("/reports").text  # every club
    assert seeded.incident_id in client.get("/reports", params={"club": "alpha"}).text
    assert seeded.incident_id not in client.get("/reports", params={"club": "gamma"}).text
    sign_in(client, "captain", "gamma", "bob")
    assert seeded.incident_id not in client.get("/reports", params={"club": "alpha"}).text
    assert client.get(f"{url}/published.md").status_code == 403


def test_docs_assets_are_served_by_vigie(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/docs/assets/swagger-ui-bundle.js" in page.text
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/docs/assets/index.html").status_code == 404  # only the files named
    assert client.get("/docs/assets/..%2Fpyproject.toml").status_code == 404
