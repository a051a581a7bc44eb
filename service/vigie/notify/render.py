"""Notices → Discord execute-webhook / edit-message JSON payloads (pure).

Layout of an incident message (``open``, ``update``, ``platform``): ``content`` holds the
captains' mentions and a one-line headline; each incident gets one embed (title linking to the
incident page, the telemetry summary as description, fields for the SLO and objective, burn rate
and window, budget left, since when, state, links to the Grafana dashboard and the incident
page), coloured by severity and state. When the incidents do not all fit in 10 embeds and 6000
characters, the last embed lists the rest one per line and ends with "… and N more".

``resolve`` and ``ack`` change the original message in place (:func:`render_edit`: the original
notice with the new lines merged in); ``resolve`` also posts a short follow-up message
(:func:`render_message`) that links to the original, since webhooks cannot send replies
(``message_reference`` is not an execute-webhook parameter).

``allowed_mentions`` is always explicit: ``parse`` is empty (no ``@everyone``, no roles, no
user found in the text), ``users`` lists the captains allowed to be pinged, and only ``content``
mentions them; an edit lists nobody, so an edit never pings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from vigie.notify import markdown as md
from vigie.notify.notice import ADMINS, IncidentLine, Notice
from vigie.notify.texts import Texts

Payload = dict[str, Any]

COLOURS = {
    "page": 0xE74C3C,  # red
    "ticket": 0xE67E22,  # orange
    "no_data": 0x95A5A6,  # grey
    "acknowledged": 0xF1C40F,  # yellow
    "resolved": 0x2ECC71,  # green
}
ICONS = {"page": "🔴", "ticket": "🟠", "no_data": "⚪", "acknowledged": "🟡", "resolved": "✅"}
MENTIONING_KINDS = frozenset({"open", "update", "platform", "platform_captain"})
MAX_MENTIONS = 50  # 50 mentions of ≤ 23 characters leave room for the headline in 2000

_SUMMARY_MAX = 1500  # description of a lone incident
_SUMMARY_MIN = 80  # description of one incident among many
_OVERFLOW_RESERVE = 1000  # characters kept for the "… and N more" embed
_WHAT_MAX = 600  # list of incidents in a follow-up line


def mentions_for(notice: Notice, allowed: Collection[str]) -> tuple[str, ...]:
    """The users this notice may ping: asked for by the notice, configured for its channel
    (``allowed``), and only when a line pages on an open incident of a mentioning kind."""
    if notice.kind not in MENTIONING_KINDS:
        return ()
    if not any(line.severity == "page" and line.state == "open" for line in notice.lines):
        return ()
    wanted = [uid for uid in dict.fromkeys(notice.mention_user_ids) if uid in allowed]
    return tuple(wanted[:MAX_MENTIONS])


def render_message(
    notice: Notice,
    *,
    club_names: Mapping[str, str],
    mentions: Sequence[str] = (),
    original_link: str | None = None,
) -> Payload:
    """The execute-webhook body for ``notice``; ``mentions`` comes from :func:`mentions_for`."""
    t = Texts(notice.locale)
    if notice.kind in ("resolve", "ack"):
        return _payload(_follow_up(notice, t, original_link), [], ())
    if notice.kind == "webhook_dead":
        channel = notice.extra.get("channel", "?")
        text = t("webhook_dead", channel=md.escape(club_names.get(channel, channel)))
        return _payload(text, [], ())
    if notice.kind == "report_ready":
        return _payload(t("report_ready", url=_url(notice.extra.get("url", ""))), [], ())
    headline = _headline(notice, t, club_names)
    return _payload(headline, _incident_embeds(notice.lines, t, club_names), mentions)


def render_edit(
    original: Notice, updates: Sequence[Notice], *, club_names: Mapping[str, str]
) -> Payload:
    """The PATCH body of the original message: its incidents with the newest state of each
    (``updates`` oldest first), no new pings."""
    latest = {line.incident_id: line for update in updates for line in update.lines}
    lines = tuple(latest.get(line.incident_id, line) for line in original.lines)
    merged = replace(original, lines=lines)
    t = Texts(original.locale)
    mentions = " ".join(f"<@{uid}>" for uid in original.mention_user_ids[:MAX_MENTIONS])
    body = _payload(_headline(merged, t, club_names), _incident_embeds(lines, t, club_names), ())
    if mentions:
        # The names stay visible; allowed_mentions lists nobody, so nobody is pinged again.
        body["content"] = md.truncate(f"{mentions} {body['content']}", md.CONTENT_MAX)
    return body


def message_link(guild_id: str | None, channel_id: str | None, message_id: str) -> str | None:
    """``https://discord.com/channels/<guild>/<channel>/<message>`` when both ids are known."""
    if not guild_id or not channel_id:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _payload(content: str, embeds: list[Payload], mentions: Sequence[str]) -> Payload:
    prefix = "".join(f"<@{uid}> " for uid in mentions)
    body: Payload = {
        "content": md.truncate(prefix + content, md.CONTENT_MAX),
        "allowed_mentions": {"parse": [], "users": list(mentions)},
    }
    if embeds:
        body["embeds"] = embeds
    return body


def _club(club_id: str, club_names: Mapping[str, str]) -> str:
    return md.escape(club_names.get(club_id, club_id))


def _channel_name(notice: Notice, t: Texts, club_names: Mapping[str, str]) -> str:
    clubs = {line.club for line in notice.lines if line.club}
    if notice.channel != ADMINS:
        return _club(notice.channel, club_names)
    if len(clubs) == 1:
        return _club(clubs.pop(), club_names)
    return t("several_clubs")


def _headline(notice: Notice, t: Texts, club_names: Mapping[str, str]) -> str:
    lines = notice.lines
    club = _channel_name(notice, t, club_names)
    if notice.kind == "platform":
        text = t(
            "platform",
            apps=len({(x.club, x.app) for x in lines if x.app}),
            clubs=len({x.club for x in lines if x.club}),
        )
        if reason := notice.extra.get("reason"):
            text += " " + t("platform_reason", reason=md.truncate(md.escape(reason), 300))
        return text
    if notice.kind == "platform_captain":
        return t("platform_captain", club=club, count=len({x.app for x in lines if x.app}))
    if lines and all(x.state == "resolved" for x in lines):
        return t("resolved_all", club=club)
    if lines and all(x.state != "open" for x in lines):
        return t("acked_all", club=club)
    many = "many" if len(lines) > 1 else "one"
    kind = "update" if notice.kind == "update" else "open"
    return t(f"{kind}_{many}", club=club, count=len(lines))


def _follow_up(notice: Notice, t: Texts, original_link: str | None) -> str:
    what = md.truncate(", ".join(_name(x) for x in notice.lines), _WHAT_MAX)
    lines = notice.lines
    if notice.kind == "resolve" and len(lines) == 1 and lines[0].resolved_at is not None:
        text = t(
            "resolve_one", what=what, duration=t.duration(lines[0].resolved_at - lines[0].since)
        )
    elif notice.kind == "resolve":
        text = t(
            "resolve_one" if len(lines) == 1 else "resolve_many",
            what=what,
            count=len(lines),
            duration=t("none"),
        )
    else:
        text = t("ack_one" if len(lines) == 1 else "ack_many", what=what, count=len(lines))
    if original_link:
        text += t("original", link=_url(original_link))
    return text


def _name(line: IncidentLine) -> str:
    """``app · slo``; a line without an app (the platform incident) is named by its SLO."""
    if not line.app:
        return md.escape(line.slo)
    return f"{md.escape(line.app)} · {md.escape(line.slo)}"


def _look(line: IncidentLine) -> str:
    return line.state if line.state != "open" else line.severity


def _url(url: str) -> str:
    """A trusted URL made safe inside ``[text](url)``: parentheses, spaces and brackets encoded."""
    return quote(url, safe=":/?&=#%@+,;~*!'$.-_")


def _incident_embeds(
    lines: Sequence[IncidentLine], t: Texts, club_names: Mapping[str, str]
) -> list[Payload]:
    if not lines:
        return []
    overflow_possible = len(lines) > md.EMBEDS_MAX
    budget = md.EMBEDS_TOTAL_MAX - (_OVERFLOW_RESERVE if overflow_possible else 0)
    slots = md.EMBEDS_MAX - 1 if overflow_possible else md.EMBEDS_MAX
    summary_max = max(_SUMMARY_MIN, min(_SUMMARY_MAX, 3000 // len(lines)))
    embeds: list[Payload] = []
    used = 0
    for line in lines[:slots]:
        embed = _embed(line, t, club_names, summary_max)
        size = md.embed_size(embed)
        if used + size > budget:
            break
        embeds.append(embed)
        used += size
    rest = lines[len(embeds) :]
    if rest:
        embeds = embeds[: md.EMBEDS_MAX - 1]
        rest = lines[len(embeds) :]
        embeds.append(_overflow_embed(rest, t, md.EMBEDS_TOTAL_MAX - md.embeds_size(embeds)))
    return embeds


def _embed(
    line: IncidentLine, t: Texts, club_names: Mapping[str, str], summary_max: int
) -> Payload:
    severity = t(f"severity_{line.severity}")
    if line.state == "resolved" and line.resolved_at is not None:
        state = t("state_resolved", duration=t.duration(line.resolved_at - line.since))
    elif line.state == "acknowledged" and line.acknowledged_by:
        state = t("state_acknowledged", severity=severity, who=md.escape(line.acknowledged_by))
    elif line.state == "acknowledged":
        state = t("state_acknowledged_anonymous", severity=severity)
    else:
        state = t("state_open", severity=severity)
    burn = (
        t("burn", burn=t.number(line.burn_rate), window=t.window(md.escape(line.burn_window)))
        if line.burn_rate is not None and line.burn_window
        else t("none")
    )
    budget = t.percent(line.budget_remaining) if line.budget_remaining is not None else t("none")
    links = " · ".join(
        f"[{t(label)}]({_url(url)})"
        for label, url in (
            ("link_dashboard", line.dashboard_url),
            ("link_incident", line.incident_url),
        )
        if url
    )
    objective = (
        f"{md.escape(line.slo)} — {t.objective(line.objective, md.escape(line.window))}"
        if line.objective > 0 and line.window
        else md.escape(line.slo)  # pseudo-SLOs (platform, telemetry) have no objective
    )
    fields = [
        (t("field_slo"), objective),
        (t("field_burn"), burn),
        (t("field_budget"), budget),
        (t("field_since"), t("since", ts=int(line.since.timestamp()))),
        (t("field_state"), state),
        (t("field_links"), links or t("none")),
    ]
    embed: Payload = {
        "title": md.truncate(f"{ICONS[_look(line)]} {_name(line)}", md.EMBED_TITLE_MAX),
        "color": COLOURS[_look(line)],
        "fields": [
            {
                "name": md.truncate(name, md.FIELD_NAME_MAX),
                "value": md.truncate(value, md.FIELD_VALUE_MAX),
                "inline": index < 4,
            }
            for index, (name, value) in enumerate(fields)
        ],
        "footer": {
            "text": md.truncate(
                t(
                    "footer",
                    club=_club(line.club, club_names) if line.club else t("platform_name"),
                    incident=md.escape(line.incident_id),
                ),
                md.FOOTER_MAX,
            )
        },
        "timestamp": line.since.isoformat(),
    }
    if line.incident_url:
        embed["url"] = line.incident_url
    if summary := md.escape(line.summary):
        embed["description"] = md.truncate(summary, summary_max)
    return embed


def _overflow_embed(lines: Sequence[IncidentLine], t: Texts, room: int) -> Payload:
    """One line per incident, as many as fit in ``room`` characters, then "… and N more"."""
    limit = min(md.EMBED_DESCRIPTION_MAX, room)
    worst = max(lines, key=lambda x: (x.severity == "page", x.state == "open"))
    rows: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        burn = t("burn_short", burn=t.number(line.burn_rate)) if line.burn_rate is not None else ""
        link = f"[{md.truncate(_name(line), 120)}]({_url(line.incident_url)})"
        row = f"{ICONS[_look(line)]} {link}{burn}"
        more = t("more", count=len(lines) - index - 1) if index < len(lines) - 1 else ""
        if used + len(row) + 1 + len(more) > limit:
            rows.append(t("more", count=len(lines) - index))
            break
        rows.append(row)
        used += len(row) + 1
    return {"description": md.truncate("\n".join(rows), limit), "color": COLOURS[_look(worst)]}
