from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes.discord import pinged, violations
from tests.notify.builders import CAPTAINS, T0, line, notice

from vigie.notify import embeds, render
from vigie.notify.notice import IncidentLine

NAMES = {"algo": "Club Algo", "robo": "Club Robo"}
CAPTAIN_IDS = frozenset(CAPTAINS["algo"])


def _message(n: Any, **kw: Any) -> dict[str, Any]:
    return render.render_message(n, club_names=NAMES, **kw)


def _text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


# -- limits -----------------------------------------------------------------------------------

huge = st.text(min_size=0, max_size=5000)
names = st.text(min_size=1, max_size=400)


@st.composite
def lines(draw: st.DrawFn) -> list[IncidentLine]:
    count = draw(st.integers(min_value=1, max_value=60))
    summary, app, slo = draw(huge), draw(names), draw(names)
    return [
        line(
            i,
            summary=summary,
            app=app + str(i),
            slo=slo,
            severity=draw(st.sampled_from(["page", "ticket", "no_data"])),
            burn_window=draw(st.sampled_from(["1h", "6h", "5m", "x" * 300])),
            acknowledged_by=draw(st.none() | names),
            state=draw(st.sampled_from(["open", "acknowledged", "resolved"])),
            resolved_at=T0,
        )
        for i in range(count)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines(), st.sampled_from(["open", "update", "platform", "platform_captain", "resolve"]))
def test_no_notice_breaks_discord_limits(incidents: list[IncidentLine], kind: str) -> None:
    for locale in ("fr", "en"):
        n = notice(lines=incidents, kind=kind, locale=locale, extra={"reason": "x" * 5000})
        body = _message(n, mentions=CAPTAINS["algo"], original_link="https://discord.com/x")
        assert violations(body) == []
        assert violations(render.render_edit(n, [n], club_names=NAMES)) == []


def test_sixty_incidents_are_summarised_with_the_rest_counted() -> None:
    body = _message(notice(lines=[line(i, summary="x" * 3000) for i in range(60)]))
    embeds = body["embeds"]
    assert len(embeds) <= 10 and violations(body) == []
    detailed = [e for e in embeds if "title" in e]
    overflow = embeds[-1]["description"]
    listed = overflow.count("](https://vigie.example/incidents/")
    more = re.search(r"… et (\d+) de plus", overflow)
    assert more is not None
    assert len(detailed) + listed + int(more.group(1)) == 60
    # Every incident shown is a distinct one, in order.
    shown = [e["url"] for e in detailed] + re.findall(r"\]\((https://vigie[^)]+)\)", overflow)
    assert shown == [line(i).incident_url for i in range(len(shown))]


def test_few_incidents_get_one_embed_each_with_every_fact() -> None:
    body = _message(notice(lines=[line(0), line(1)], locale="en"))
    assert len(body["embeds"]) == 2
    first = body["embeds"][0]
    values = {f["name"]: f["value"] for f in first["fields"]}
    assert values["Objective"] == "99.9% over 30 d"
    assert values["State"] == "Urgent"
    since = int(line(0).since.timestamp())
    assert first["description"].splitlines() == [
        "**1.4% of requests are failing** right now.",
        f"Since <t:{since}:f> (<t:{since}:R>).",
        "Has used 38% of this month's error budget.",
        "Most frequent error: HTTP 500 on GET /api/items",
        "Routes hit: GET /api/items, POST /login",
    ]
    assert "Technical detail (admins)" not in values  # a club channel: no burn rates
    assert line(0).dashboard_url.replace("?", "?") in values["Links"]
    assert f"]({line(0).incident_url})" in values["Links"]
    assert first["url"] == line(0).incident_url
    assert first["color"] == embeds.COLOURS["page"]


def test_colour_follows_severity_then_state() -> None:
    colours = [
        _message(notice(lines=[line(severity=s, state=st_)]))["embeds"][0]["color"]
        for s, st_ in (("ticket", "open"), ("no_data", "open"), ("page", "acknowledged"))
    ]
    assert colours == [embeds.COLOURS["ticket"], embeds.COLOURS["no_data"], 0xF1C40F]


# -- mentions and escaping --------------------------------------------------------------------


def test_hostile_telemetry_pings_nobody() -> None:
    hostile = "@everyone <@&987654321098765432> <@123456789012345678> [x](http://evil.example)"
    n = notice(lines=[line(summary=hostile, app="@here", slo="<#555555555555555555>")])
    body = _message(n, mentions=render.mentions_for(n, CAPTAIN_IDS))
    assert pinged(body) == {f"user:{uid}" for uid in CAPTAINS["algo"]}
    # Even if Discord parsed everything, the escaped text would mention nobody but the captains.
    assert pinged({"content": body["content"]}) == pinged(body)
    text = _text(body["embeds"])
    assert "[x](http" not in text and "<@&" not in text and "@everyone" not in text


def test_allowed_mentions_always_explicit() -> None:
    for kind in ("open", "update", "resolve", "ack", "webhook_dead", "report_ready", "platform"):
        body = _message(notice(kind=kind, extra={"channel": "algo", "url": "https://r.example"}))
        assert body["allowed_mentions"] == {"parse": [], "users": [], "roles": []}, kind
    edit = render.render_edit(notice(), [notice(kind="ack")], club_names=NAMES)
    assert edit["allowed_mentions"] == {"parse": [], "users": [], "roles": []}


def test_only_configured_captains_and_only_on_page() -> None:
    stranger = "444444444444444444"
    wanted = (*CAPTAINS["algo"], stranger)
    page = notice(mention_user_ids=wanted)
    assert render.mentions_for(page, CAPTAIN_IDS) == CAPTAINS["algo"]
    ticket = notice(lines=[line(severity="ticket")], mention_user_ids=wanted)
    assert render.mentions_for(ticket, CAPTAIN_IDS) == ()
    acked = notice(lines=[line(state="acknowledged")], mention_user_ids=wanted)
    assert render.mentions_for(acked, CAPTAIN_IDS) == ()
    assert render.mentions_for(notice(kind="resolve", mention_user_ids=wanted), CAPTAIN_IDS) == ()
    body = _message(page, mentions=render.mentions_for(page, CAPTAIN_IDS))
    assert body["allowed_mentions"]["users"] == list(CAPTAINS["algo"])
    assert pinged(body) == {f"user:{uid}" for uid in CAPTAINS["algo"]}
    assert stranger not in _text(body)


# -- edits, resolve, locales ------------------------------------------------------------------


def test_edit_merges_the_newest_state_and_pings_nobody() -> None:
    original = notice(lines=[line(0), line(1)])
    acked = notice("k2", kind="ack", lines=[line(0, state="acknowledged", acknowledged_by="Zoé")])
    done = replace(line(0), state="resolved", resolved_at=T0 + timedelta(hours=1, minutes=12))
    resolved = notice("k3", kind="resolve", lines=[done])
    body = render.render_edit(original, [acked, resolved], club_names=NAMES)
    first, second = body["embeds"]
    assert first["color"] == embeds.COLOURS["resolved"]
    assert any(f["value"] == "Résolu après 1 h 17 min" for f in first["fields"])
    assert second["color"] == embeds.COLOURS["page"]
    assert pinged(body) == set()
    assert f"<@{CAPTAINS['algo'][0]}>" in body["content"]  # still shown, not pinged again


def test_resolve_follow_up_links_the_original() -> None:
    done = line(resolved_at=T0 + timedelta(minutes=25), state="resolved")
    link = render.message_link("1", "2", "3")
    body = _message(notice(kind="resolve", lines=[done], locale="en"), original_link=link)
    assert body["content"] == (
        "↪ Resolved: app-0 · availability after 30 min. "
        "[Original message](https://discord.com/channels/1/2/3)"
    )
    assert render.message_link(None, "2", "3") is None


def _facts(payload: dict[str, Any]) -> list[str]:
    """Numbers, links and Discord timestamps of a payload, language-neutral."""
    text = _text(payload).replace("\\u200b", "")
    urls = re.findall(r"https?://[^\s)\"]+", text)
    stamps = re.findall(r"<t:\d+:[fR]>", text)
    rest = re.sub(r"https?://[^\s)\"]+|<t:\d+:[fR]>|\"color\": \d+", "", text)
    numbers = [n.replace(",", ".") for n in re.findall(r"\d+(?:[.,]\d+)?", rest)]
    return sorted(urls) + sorted(stamps) + sorted(numbers)


def test_french_and_english_state_the_same_facts() -> None:
    incidents = [
        line(0),
        line(1, severity="ticket", burn_rate=3.25, budget_remaining=-0.1),
        line(2, state="resolved", resolved_at=T0 + timedelta(hours=2)),
    ]
    for kind in ("open", "update", "platform", "resolve", "ack"):
        fr = _message(notice(kind=kind, lines=incidents, locale="fr"), original_link="https://x/1")
        en = _message(notice(kind=kind, lines=incidents, locale="en"), original_link="https://x/1")
        assert _facts(fr) == _facts(en), kind
        assert fr != en


def test_platform_notice_counts_apps_and_clubs_not_the_platform_line() -> None:
    platform = line(
        99,
        club="",
        app="",
        slo="(platform)",
        objective=0.0,
        window="",
        burn_rate=None,
        burn_window=None,
        budget_remaining=None,
        dashboard_url="",
        summary="",
    )
    covered = [line(i, club=("algo", "robo")[i % 2]) for i in range(12)]
    n = notice(
        channel="admins",
        kind="platform",
        lines=[platform, *covered],
        locale="en",
        extra={"apps_total": "60"},
    )
    body = _message(n)
    assert body["content"] == (
        "🌩️ Platform incident — apps in trouble: 12, clubs affected: 2. "
        "Apps alerting at once: 12 of 60."
    )
    first = body["embeds"][0]
    assert first["title"].endswith(" Platform incident")
    fields = {f["name"]: f["value"] for f in first["fields"]}
    assert "Objective" not in fields
    assert fields["Links"] == f"[Incident page (acknowledge, silence)]({platform.incident_url})"
    assert first["footer"]["text"] == f"Vigie · Cedille platform · {platform.incident_id}"
    assert "]()" not in _text(body) and violations(body) == []


def test_an_ack_edits_the_message_in_the_clubs_language_and_time_zone() -> None:
    at = T0.replace(hour=7, minute=14)  # 02:14 in Montréal (UTC-5 in November)
    acked = line(0, state="acknowledged", acknowledged_by="Zoé", acknowledged_at=at)
    for locale, expected in (
        ("fr", "Pris en charge par Zoé à 02:14"),
        ("en", "Taken by Zoé at 02:14"),
    ):
        original = notice(locale=locale)
        edit = render.render_edit(original, [notice(kind="ack", lines=[acked])], club_names=NAMES)
        assert expected in edit["content"]
        state = {f["name"]: f["value"] for f in edit["embeds"][0]["fields"]}
        assert expected.replace("Pris", "pris").replace("Taken", "taken") in " ".join(
            state.values()
        )
        assert edit["allowed_mentions"]["users"] == []
