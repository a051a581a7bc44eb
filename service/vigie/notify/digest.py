"""The weekly digest as plain data, and its Discord message (pure).

A club's digest has one embed per app: each SLO's state at the end of the week and the share of
its error budget left, the week's incidents with their durations (linked to their pages), the
most frequent errors, and the app's dashboard over the week. The admins' digest has one embed
per club summarising its apps. The digest travels in the outbox as JSON (``extra["digest"]``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from vigie.notify import markdown as md
from vigie.notify.embeds import url
from vigie.notify.notice import plain
from vigie.notify.texts import Texts

Payload = dict[str, Any]
_ICONS = {"ok": "🟢", "ticket": "🟠", "page": "🔴", "no_data": "⚪", "low_traffic": "⚪"}
_RANK = {"ok": 0, "low_traffic": 1, "no_data": 2, "ticket": 3, "page": 4}
_ERROR_MAX = 150
_INCIDENTS_MAX = 8


@dataclass(frozen=True)
class WeekIncident:
    id: str
    slo: str
    severity: str
    since: datetime
    resolved_at: datetime | None
    url: str


@dataclass(frozen=True)
class WeekSlo:
    name: str
    state: str  # ok | ticket | page | no_data | low_traffic, at the end of the week
    budget_remaining: float | None


@dataclass(frozen=True)
class WeekApp:
    club: str
    club_name: str
    app: str
    slos: tuple[WeekSlo, ...]
    incidents: tuple[WeekIncident, ...]
    top_errors: tuple[tuple[str, int], ...]  # UNTRUSTED (telemetry): escaped when rendered
    dashboard_url: str


@dataclass(frozen=True)
class Digest:
    start: datetime  # Monday 00:00, club time
    end: datetime  # the next Monday 00:00
    club: str  # "" for the admins' platform summary
    club_name: str
    apps: tuple[WeekApp, ...]


def to_json(digest: Digest) -> str:
    return json.dumps(plain(asdict(digest)), ensure_ascii=False, sort_keys=True)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def from_json(text: str) -> Digest:
    data = json.loads(text)
    apps = tuple(
        WeekApp(
            club=a["club"],
            club_name=a["club_name"],
            app=a["app"],
            slos=tuple(WeekSlo(**s) for s in a["slos"]),
            incidents=tuple(
                WeekIncident(
                    **{**i, "since": _moment(i["since"]), "resolved_at": _moment(i["resolved_at"])}
                )
                for i in a["incidents"]
            ),
            top_errors=tuple((str(m), int(n)) for m, n in a["top_errors"]),
            dashboard_url=a["dashboard_url"],
        )
        for a in data["apps"]
    )
    start, end = _moment(data["start"]), _moment(data["end"])
    assert start is not None and end is not None  # written by to_json
    return Digest(start, end, data["club"], data["club_name"], apps)


def render_digest(digest: Digest, t: Texts) -> Payload:
    """The execute-webhook body of a digest (never mentions anyone)."""
    last_day = digest.end - timedelta(hours=12)  # the Sunday, whatever the DST change
    who = t.fmt.of(md.escape(digest.club_name)) if digest.club else t("digest_platform")
    headline = t("digest_title", who=who, start=t.fmt.date(digest.start), end=t.fmt.date(last_day))
    if digest.club:
        embeds = [_app_embed(app, digest, t) for app in digest.apps]
    else:
        embeds = [_club_embed(apps, t) for apps in _by_club(digest.apps).values()]
    if not embeds:
        headline += "\n" + t("digest_nothing")
    if len(embeds) > md.EMBEDS_MAX:
        rest = len(embeds) - (md.EMBEDS_MAX - 1)
        embeds = [*embeds[: md.EMBEDS_MAX - 1], {"description": t("more", count=rest)}]
    while embeds and md.embeds_size(embeds) > md.EMBEDS_TOTAL_MAX:
        embeds = embeds[:-1]
    body: Payload = {
        "content": md.truncate(headline, md.CONTENT_MAX),
        "allowed_mentions": {"parse": [], "users": [], "roles": []},
    }
    if embeds:
        body["embeds"] = embeds
    return body


def _worst(app: WeekApp) -> str:
    return max((s.state for s in app.slos), key=lambda s: _RANK.get(s, 0), default="no_data")


def _slo_row(slo: WeekSlo, t: Texts) -> str:
    state = t(f"digest_state_{slo.state}") if slo.state in _RANK else md.escape(slo.state)
    budget = (
        t("digest_budget", share=t.fmt.percent(slo.budget_remaining, 0))
        if slo.budget_remaining is not None
        else ""
    )
    return f"{_ICONS.get(slo.state, '⚪')} {md.escape(slo.name)}{t('digest_colon')}{state}{budget}"


def _incident_row(inc: WeekIncident, t: Texts) -> str:
    if inc.resolved_at is not None:
        how_long = t("digest_lasted", duration=t.duration(inc.resolved_at - inc.since))
    else:
        how_long = t("digest_ongoing")
    when = t.fmt.date(inc.since)
    return f"• [{md.escape(inc.id)}]({url(inc.url)}) {md.escape(inc.slo)}, {when} — {how_long}"


def _app_embed(app: WeekApp, digest: Digest, t: Texts) -> Payload:
    rows = [_slo_row(s, t) for s in app.slos]
    rows.append("")
    if app.incidents:
        rows.append(t("digest_incidents", count=len(app.incidents)))
        rows += [_incident_row(i, t) for i in app.incidents[:_INCIDENTS_MAX]]
        if len(app.incidents) > _INCIDENTS_MAX:
            rows.append(t("more", count=len(app.incidents) - _INCIDENTS_MAX))
    else:
        rows.append(t("digest_no_incident"))
    if app.top_errors:
        rows.append(t("digest_errors"))
        rows += [
            "• " + t("digest_error", error=md.truncate(md.escape(m), _ERROR_MAX), count=n)
            for m, n in app.top_errors
        ]
    embed: Payload = {
        "title": md.truncate(
            f"{_ICONS.get(_worst(app), '⚪')} {md.escape(app.app)}", md.EMBED_TITLE_MAX
        ),
        "description": md.truncate("\n".join(rows), 3000),
    }
    if app.dashboard_url:
        embed["url"] = app.dashboard_url
    return embed


def _by_club(apps: tuple[WeekApp, ...]) -> dict[str, list[WeekApp]]:
    out: dict[str, list[WeekApp]] = {}
    for app in apps:
        out.setdefault(app.club, []).append(app)
    return out


def _club_embed(apps: list[WeekApp], t: Texts) -> Payload:
    rows = []
    for app in apps:
        pages = sum(1 for i in app.incidents if i.severity == "page")
        left = [s.budget_remaining for s in app.slos if s.budget_remaining is not None]
        budget = t("digest_budget", share=t.fmt.percent(min(left), 0)) if left else ""
        rows.append(
            f"{_ICONS.get(_worst(app), '⚪')} {md.escape(app.app)}"
            + t("digest_colon")
            + t("digest_summary", incidents=len(app.incidents), pages=pages)
            + budget
        )
    title = md.truncate(md.escape(apps[0].club_name), md.EMBED_TITLE_MAX)
    return {"title": title, "description": md.truncate("\n".join(rows), 3000)}
