"""Notices → Discord execute-webhook / edit-message JSON payloads (pure).

Layout of an incident message (``open``, ``update``, ``platform``, ``escalation``, ``reminder``):
``content`` holds the mentions and a one-line headline; each incident gets one embed
(:mod:`vigie.notify.embeds`: what broke in words, coloured by severity and state).

``resolve`` and ``ack`` change the original message in place (:func:`render_edit`: the original
notice with the new lines merged in); ``resolve`` also posts a short follow-up message
(:func:`render_message`) that links to the original, since webhooks cannot send replies
(``message_reference`` is not an execute-webhook parameter).

``allowed_mentions`` is always explicit: ``parse`` is empty (never ``@everyone``, no user or role
found in the text), ``users`` and ``roles`` list who may be pinged (a mention id ``&<id>`` is a
role), and only ``content`` mentions them; an edit lists nobody, so an edit never pings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from vigie.notify import markdown as md
from vigie.notify.digest import from_json, render_digest
from vigie.notify.embeds import incident_embeds, lasted, name, url
from vigie.notify.notice import ADMINS, Notice
from vigie.notify.texts import Texts

Payload = dict[str, Any]

MENTIONING_KINDS = frozenset(
    {"open", "update", "platform", "platform_captain", "escalation", "reminder"}
)
MAX_MENTIONS = 50  # 50 mentions of ≤ 23 characters leave room for the headline in 2000

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
    t = Texts(notice.locale, notice.timezone)
    if notice.kind in ("resolve", "ack"):
        return _payload(_follow_up(notice, t, original_link), [], ())
    if notice.kind == "webhook_dead":
        channel = notice.extra.get("channel", "?")
        text = t("webhook_dead", channel=md.escape(club_names.get(channel, channel)))
        return _payload(text, [], ())
    if notice.kind == "report_ready":
        line = notice.lines[0] if notice.lines else None
        text = t(
            "report_ready",
            what=name(line, t) if line else t("none"),
            incident=md.escape(line.incident_id) if line else t("none"),
            url=url(notice.extra.get("url", "")),
        )
        return _payload(text, [], ())
    if notice.kind == "digest":
        return render_digest(from_json(notice.extra.get("digest", "")), t)
    headline = _headline(notice, t, club_names)
    embeds = incident_embeds(notice.lines, t, club_names, admin=notice.channel == ADMINS)
    return _payload(headline, embeds, mentions)


def render_edit(
    original: Notice, updates: Sequence[Notice], *, club_names: Mapping[str, str]
) -> Payload:
    """The PATCH body of the original message: its incidents with the newest state of each
    (``updates`` oldest first), no new pings."""
    latest = {line.incident_id: line for update in updates for line in update.lines}
    lines = tuple(latest.get(line.incident_id, line) for line in original.lines)
    merged = replace(original, lines=lines)
    t = Texts(original.locale, original.timezone)
    mentions = " ".join(f"<@{uid}>" for uid in original.mention_user_ids[:MAX_MENTIONS])
    embeds = incident_embeds(lines, t, club_names, admin=original.channel == ADMINS)
    body = _payload(_headline(merged, t, club_names), embeds, ())
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
        "allowed_mentions": {
            "parse": [],
            "users": [m for m in mentions if not m.startswith("&")],
            "roles": [m[1:] for m in mentions if m.startswith("&")],
        },
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
    covered = [a for a in notice.extra.get("apps", "").split(", ") if a]
    named = (
        " " + t("platform_apps", apps=md.truncate(md.escape(", ".join(covered)), 600))
        if covered
        else ""
    )
    if notice.kind == "platform":
        apps = len(covered) or len({(x.club, x.app) for x in lines if x.app})
        clubs = {a.split("/")[0] for a in covered} or {x.club for x in lines if x.club}
        text = t("platform", apps=apps, clubs=len(clubs))
        if (total := notice.extra.get("apps_total", "")).isdigit():
            text += " " + t("platform_share", alerting=apps, total=int(total))
        return text + named
    if notice.kind == "platform_captain":
        count = len(covered) or len({x.app for x in lines if x.app})
        return t("platform_captain", club=t.fmt.of(club), count=count) + named
    if notice.kind in ("escalation", "reminder"):
        oldest = min((x.since for x in lines), default=notice.created_at)
        return t(
            notice.kind,
            what=md.truncate(", ".join(name(x, t) for x in lines), _WHAT_MAX),
            delay=t.duration(notice.created_at - oldest),
            club=club,
        )
    if lines and all(x.state == "resolved" for x in lines):
        return t("resolved_all", club=club)
    if lines and all(x.state != "open" for x in lines):
        takers = {(x.acknowledged_by, x.acknowledged_at) for x in lines if x.state != "resolved"}
        if len(takers) == 1 and None not in (taker := takers.pop()):
            who, at = taker
            assert who is not None and at is not None  # for mypy: checked just above
            return t("acked_by", who=md.escape(who), time=t.fmt.time(at), club=club)
        return t("acked_all", club=club)
    many = "many" if len(lines) > 1 else "one"
    kind = "update" if notice.kind == "update" else "open"
    return t(f"{kind}_{many}", club=club, count=len(lines))


def _follow_up(notice: Notice, t: Texts, original_link: str | None) -> str:
    what = md.truncate(", ".join(name(x, t) for x in notice.lines), _WHAT_MAX)
    lines = notice.lines
    if notice.kind == "resolve" and len(lines) == 1 and lines[0].resolved_at is not None:
        line = lines[0]
        text = t("resolve_one", what=what, duration=t.duration(lasted(line)))
        if line.failed is not None and line.total is not None:
            text += t("impact_failed", failed=line.failed, total=line.total)
        if line.outage is not None and line.resolved_at is not None:  # the alert, labelled
            text += t("alert_lifetime", duration=t.duration(line.resolved_at - line.since))
        if line.residual_burn is not None and line.residual_window:
            text += t(
                "residual",
                burn=t.number(line.residual_burn),
                window=t.window(md.escape(line.residual_window)),
            )
    elif notice.kind == "resolve":
        text = t(
            "resolve_one" if len(lines) == 1 else "resolve_many",
            what=what,
            count=len(lines),
            duration=t("none"),
        )
    elif len(lines) == 1 and lines[0].acknowledged_by and lines[0].acknowledged_at:
        who, at = md.escape(lines[0].acknowledged_by), t.fmt.time(lines[0].acknowledged_at)
        text = t("ack_by", who=who, time=at, what=what)
    else:
        text = t("ack_one" if len(lines) == 1 else "ack_many", what=what, count=len(lines))
    if original_link:
        text += t("original", link=url(original_link))
    return text

