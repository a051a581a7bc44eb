"""Grouping: which notices a channel gets now (pure), in the manner of Alertmanager.

Per channel, from the incidents routed to it and the notification log of that channel:

* **new** incidents (never told here, still open) wait ``group_wait`` after the earliest of them
  (re)opened, then go out together as one notice: forty apps failing at once make one message.
  An incident resolved before it was told is never told. An incident covered by the platform
  incident (``held``) is not announced on its own;
* **changes** of told incidents (escalated, reopened, widened → ``update``; resolved →
  ``resolve``, an edit of the message that announced it) go out together once
  ``group_interval`` has passed since the channel's last notice; acknowledgements (``ack``,
  an edit) go at once;
* **reminders**: an open, unacknowledged incident told nothing for ``repeat_interval`` joins the
  next ``update``.

Each notice carries a key derived from (channel, kind, edited message, incidents with their event
sequence and how many times this channel heard of them): computing the same plan again after a
crash gives the same keys, which the delivery outbox ignores.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vigie.incidents.model import Incident
from vigie.incidents.routing import Route
from vigie.notify.notice import ADMINS, Kind

ANNOUNCING: frozenset[str] = frozenset({"open", "platform", "platform_captain"})


@dataclass(frozen=True)
class Timing:
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta


@dataclass(frozen=True)
class Told:
    """One row of the notification log."""

    key: str
    channel: str
    kind: str
    incident_ids: tuple[str, ...]
    seqs: tuple[int, ...]
    created_at: datetime
    edit_of: str = ""


@dataclass(frozen=True)
class Member:
    """An incident routed to the channel; ``held`` says why it is not announced on its own."""

    incident: Incident
    route: Route
    held: str | None = None


@dataclass(frozen=True)
class Planned:
    """A notice to send now (before it becomes a :class:`~vigie.notify.notice.Notice`)."""

    key: str
    channel: str
    kind: Kind
    incidents: tuple[Incident, ...]
    mentions: tuple[str, ...]
    edit_of: str | None
    reason: str
    seqs: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class _History:
    told_seq: int
    told_count: int
    last_at: datetime
    announced_by: str | None


def _history(log: Sequence[Told], incident_id: str) -> _History | None:
    mine = [t for t in log if incident_id in t.incident_ids]
    if not mine:
        return None
    last = max(mine, key=lambda t: t.created_at)
    announcing = [t for t in mine if t.kind in ANNOUNCING]
    announced = max(announcing, key=lambda t: t.created_at).key if announcing else None
    seq = max(t.seqs[t.incident_ids.index(incident_id)] for t in mine)
    return _History(seq, len(mine), last.created_at, announced)


def notice_key(channel: str, kind: str, edit_of: str | None, parts: Iterable[str]) -> str:
    text = "|".join([channel, kind, edit_of or "", *sorted(parts)])
    return "N-" + base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def plan(
    channel: str,
    members: Sequence[Member],
    log: Sequence[Told],
    timing: Timing,
    now: datetime,
) -> list[Planned]:
    """The notices ``channel`` gets at ``now``; ``log`` holds this channel's earlier notices."""
    new: list[Member] = []
    changed: dict[str, list[tuple[Member, _History]]] = {"update": [], "resolve": [], "ack": []}
    reminders: list[tuple[Member, _History]] = []
    for m in members:
        inc = m.incident
        h = _history(log, inc.id)
        # The captains' short platform notice: edited and followed up when it is acknowledged
        # or ends, updated when apps of their club join it; no other update, no reminder.
        captains = inc.is_platform and channel != ADMINS
        if h is None:
            if inc.is_open and m.held is None:
                new.append(m)
        elif h.told_seq < inc.notable_seq:
            kind = {"acknowledged": "ack", "resolved": "resolve"}.get(inc.notable_kind, "update")
            if not (captains and kind == "update" and not _joined(inc, channel)):
                changed[kind].append((m, h))
        elif captains:
            continue
        elif inc.state == "open" and now - h.last_at >= timing.repeat_interval:
            reminders.append((m, h))
    last_sent = max((t.created_at for t in log), default=None)
    interval_open = last_sent is None or now - last_sent >= timing.group_interval
    out = _announce(channel, new, timing, now)
    out += _edits(channel, "ack", changed["ack"])
    if interval_open:
        out += _edits(channel, "resolve", changed["resolve"])
        out += _update(channel, changed["update"], reminders)
    return out


def _announce(channel: str, new: Sequence[Member], timing: Timing, now: datetime) -> list[Planned]:
    out = []
    for platform in (True, False):
        batch = sorted(
            (m for m in new if m.incident.is_platform == platform), key=lambda m: m.incident.id
        )
        if not batch or now < min(m.incident.since for m in batch) + timing.group_wait:
            continue
        kind: Kind = (
            ("platform" if channel == ADMINS else "platform_captain") if platform else "open"
        )
        incidents = tuple(m.incident for m in batch)
        mentions = _mentions(batch)
        key = notice_key(channel, kind, None, (f"{i.id}:{i.notable_seq}:0" for i in incidents))
        reason = f"{len(batch)} new incident(s), group_wait {timing.group_wait} elapsed"
        seqs = tuple(i.notable_seq for i in incidents)
        out.append(Planned(key, channel, kind, incidents, mentions, None, reason, seqs))
    return out


def _edits(channel: str, kind: Kind, changes: Sequence[tuple[Member, _History]]) -> list[Planned]:
    """One edit notice per announcing message (each PATCHes one message)."""
    by_message: dict[str | None, list[Incident]] = {}
    for m, h in changes:
        by_message.setdefault(h.announced_by, []).append(m.incident)
    out = []
    for edit_of, incidents in sorted(by_message.items(), key=lambda kv: kv[0] or ""):
        incidents.sort(key=lambda i: i.id)
        key = notice_key(channel, kind, edit_of, (f"{i.id}:{i.notable_seq}" for i in incidents))
        reason = f"{len(incidents)} incident(s) {'acknowledged' if kind == 'ack' else 'resolved'}"
        seqs = tuple(i.notable_seq for i in incidents)
        out.append(Planned(key, channel, kind, tuple(incidents), (), edit_of, reason, seqs))
    return out


def _update(
    channel: str,
    changes: Sequence[tuple[Member, _History]],
    reminders: Sequence[tuple[Member, _History]],
) -> list[Planned]:
    both = sorted([*changes, *reminders], key=lambda mh: mh[0].incident.id)
    if not both:
        return []
    incidents = tuple(m.incident for m, _ in both)
    parts = (f"{m.incident.id}:{m.incident.notable_seq}:{h.told_count}" for m, h in both)
    key = notice_key(channel, "update", None, parts)
    reason = f"{len(changes)} changed, {len(reminders)} reminder(s)"
    seqs = tuple(i.notable_seq for i in incidents)
    mentions = _mentions([m for m, _ in changes])  # reminders never ping
    return [Planned(key, channel, "update", incidents, mentions, None, reason, seqs)]


def _joined(platform: Incident, channel: str) -> bool:
    """Whether the platform incident's latest change added apps of this club."""
    return platform.notable_kind == "widened" and any(
        club == channel for club, _, _ in platform.widened_by
    )


def _mentions(members: Iterable[Member]) -> tuple[str, ...]:
    ids: list[str] = []
    for m in members:  # the route already applied mention_captains_on
        ids += [u for u in m.route.mentions if u not in ids]
    return tuple(ids)
