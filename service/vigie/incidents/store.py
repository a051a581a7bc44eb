"""The incident event log and the notification log in ClickHouse, in few queries.

* :meth:`IncidentStore.load_live` — in one query, every event of the incidents that matter to the
  next evaluation (open ones, and those resolved recently enough to re-open), and in a second
  the notification log of those incidents;
* :meth:`IncidentStore.append` / :meth:`IncidentStore.record_notices` — one insert each;
* reads for the API: incidents filtered by club and app, one incident with its events.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from vigie.incidents.grouping import Planned, Told
from vigie.incidents.model import Event, Incident
from vigie.incidents.state import fold
from vigie.store import Store, tables

EVENTS = tables.INCIDENT_EVENTS
NOTICES = tables.INCIDENT_NOTICES
_EVENT_COLUMNS = (
    "incident_id", "seq", "at", "evaluation_at", "kind", "club", "app", "environment", "slo",
    "severity", "reason", "cause", "author",
)  # fmt: skip
_NOTICE_COLUMNS = ("key", "channel", "kind", "incident_ids", "seqs", "created_at", "edit_of")
_SELECT_EVENTS = f"SELECT {', '.join(_EVENT_COLUMNS)} FROM {EVENTS}"
# An incident's status is set by the latest of its opening, re-opening or resolving events.
_STATUS = "argMaxIf(kind, seq, kind IN ('opened', 'reopened', 'resolved'))"


def _param_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _event(row: Sequence[Any]) -> Event:
    (inc_id, seq, at, eval_at, kind, club, app, env, slo, severity, reason, cause, author) = row
    return Event(
        inc_id, int(seq), _utc(at), _utc(eval_at), kind, club, app, env, slo, severity, reason,
        json.loads(cause) if cause else {}, author,
    )  # fmt: skip


class IncidentStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = [
            [
                e.incident_id,
                e.seq,
                e.at,
                e.evaluation_at,
                e.kind,
                e.club,
                e.app,
                e.environment,
                e.slo,
                e.severity,
                e.reason,
                json.dumps(dict(e.cause), ensure_ascii=False, sort_keys=True),
                e.author,
            ]
            for e in events
        ]
        self.store.insert(EVENTS, _EVENT_COLUMNS, rows)

    def load_live(self, resolved_since: datetime) -> tuple[list[Event], list[Told]]:
        """Events of open incidents and of incidents resolved at or after ``resolved_since``;
        the notification log rows that mention them."""
        result = self.store.query(
            f"{_SELECT_EVENTS} WHERE incident_id IN (SELECT incident_id FROM {EVENTS} "
            f"GROUP BY incident_id HAVING {_STATUS} != 'resolved' "
            "OR max(at) >= {since:DateTime64(3, 'UTC')})",
            {"since": _param_time(resolved_since)},
        )
        events = [_event(row) for row in result.rows]
        ids = sorted({e.incident_id for e in events})
        return events, self.told_about(ids)

    def told_about(self, incident_ids: Sequence[str]) -> list[Told]:
        if not incident_ids:
            return []
        result = self.store.query(
            f"SELECT {', '.join(_NOTICE_COLUMNS)} FROM {NOTICES} "
            "WHERE hasAny(incident_ids, {ids:Array(String)}) ORDER BY created_at, key",
            {"ids": list(incident_ids)},
        )
        return [
            Told(key, channel, kind, tuple(ids), tuple(int(s) for s in seqs), _utc(at), edit_of)
            for key, channel, kind, ids, seqs, at, edit_of in result.rows
        ]

    def record_notices(self, planned: Sequence[Planned], now: datetime) -> None:
        if not planned:
            return
        rows = [
            [
                p.key,
                p.channel,
                p.kind,
                [i.id for i in p.incidents],
                list(p.seqs),
                now,
                p.edit_of or "",
            ]
            for p in planned
        ]
        self.store.insert(NOTICES, _NOTICE_COLUMNS, rows)

    def events_of(self, incident_id: str) -> list[Event]:
        result = self.store.query(
            f"{_SELECT_EVENTS} WHERE incident_id = {{id:String}} ORDER BY seq, at",
            {"id": incident_id},
        )
        return [_event(row) for row in result.rows]

    def incident(self, incident_id: str) -> tuple[Incident | None, list[Event]]:
        events = self.events_of(incident_id)
        return fold(events).get(incident_id), events

    def incidents(
        self,
        *,
        club: str | None = None,
        app: str | None = None,
        since: datetime | None = None,
    ) -> list[Incident]:
        """Incidents with any event at or after ``since`` (all when None), newest first."""
        result = self.store.query(
            f"{_SELECT_EVENTS} WHERE incident_id IN (SELECT incident_id FROM {EVENTS} "
            "WHERE ({club:String} = '' OR club = {club:String}) "
            "AND ({app:String} = '' OR app = {app:String}) "
            "GROUP BY incident_id HAVING max(at) >= {since:DateTime64(3, 'UTC')})",
            {
                "club": club or "",
                "app": app or "",
                "since": _param_time(since or datetime(1970, 1, 1, tzinfo=UTC)),
            },
        )
        folded = fold(_event(row) for row in result.rows).values()
        return sorted(folded, key=lambda i: (i.since, i.id), reverse=True)
