"""A site that stops answering reaches its captain in plain words, through the real stages:
probe checks on chdb → evaluation → signals and incident events → notice → Discord payload."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.incidents.incident_builders import alerts
from tests.probes.httpcheck import store_checks
from tests.probes.test_probe_sli import OTHER, URL, engine_now, every_30s, site

from vigie.incidents.inhibit import platform_condition
from vigie.incidents.lines import Links, incident_line
from vigie.incidents.state import fold, signals, transition
from vigie.notify import markdown as md
from vigie.notify.notice import Notice, notice_from_json, notice_to_json
from vigie.notify.render import render_message
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.store import Store


def test_site_down_notice_says_since_when_and_why_in_the_clubs_language(db: Store) -> None:
    now = engine_now(db).replace(second=0)
    broke = now - timedelta(minutes=40)
    store_checks(db, every_30s(now - timedelta(hours=2), broke, URL, status=200,
                               validation_failed=0))
    store_checks(db, every_30s(broke, now, URL, error="Get \"https://club.example/\": dial tcp "
                                                     "127.0.0.1:443: connect: connection refused"))
    store_checks(db, every_30s(now - timedelta(hours=2), now, OTHER, status=204))
    result = evaluate(db, targets_from_files([site()]), now)
    config = alerts()
    platform = platform_condition(result.statuses, config.policy.platform_incident_share)
    sigs = signals(result.statuses, platform, {})
    events = transition((), sigs, lambda c: config.policy, now, now)
    [incident] = [i for i in fold(events).values() if i.slo == "up"]
    assert incident.severity == "page"
    line = incident_line(incident, Links("https://vigie.example", "https://grafana.example"))
    assert line.facts == ((URL, int(broke.timestamp()), "error", "refused"),)
    texts = {}
    for locale in ("fr", "en"):
        notice = Notice(key=f"k-{locale}", channel="alpha", locale=locale, kind="open",
                        lines=(line,), created_at=now, mention_user_ids=())
        assert notice_from_json(notice_to_json(notice)) == notice  # what the outbox stores
        [embed] = render_message(notice, club_names={"alpha": "Alpha"})["embeds"]
        texts[locale] = embed["description"].split("\n")
    at = broke.astimezone(ZoneInfo("America/Montreal")).strftime("%H:%M")  # the club's clock
    link = f"[https:{md.ZWSP}//club.example/]({URL})"  # shown as the URL, links to the site
    assert texts["fr"][0] == f"{link} ne répond plus depuis {at} : connexion refusée."
    assert texts["en"][0] == f"{link} has not answered since {at}: connection refused."
    assert texts["fr"][1].startswith("A ") and "budget" in texts["fr"][1]  # budget used
