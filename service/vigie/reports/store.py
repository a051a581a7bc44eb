"""Report versions in ClickHouse: append-only, one row per saved version.

ClickHouse has no transactions, so "save unless someone saved first" is made safe in-process:
writes to one report are serialised by a lock, and under it the latest stored version is read
before the next one is appended. A save based on an older version raises :class:`StaleVersion`
(the API answers 409), never overwrites. This assumes ONE writer process per store (the
``vigie serve`` process; with the embedded engine only one process can open the data directory
anyway). Several Vigie replicas writing reports to one ClickHouse would need a real
compare-and-set (e.g. a KeeperMap table); see docs/reports.md.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from vigie.reports.model import (
    ACTION_FIELDS,
    Facts,
    ReportKind,
    ReportVersion,
    TimelineEntry,
    facts_from_dict,
    facts_to_dict,
    timeline_from_list,
    timeline_to_list,
)
from vigie.store import Store, tables

TABLE = tables.REPORT_VERSIONS
_COLUMNS = (
    "incident_id", "version", "kind", "locale", "author", "created_at", "facts", "sections",
    "action_items", "timeline",
)  # fmt: skip


class StaleVersion(Exception):
    """The report changed since the version the edit started from."""

    def __init__(self, incident_id: str, based_on: int, latest: int) -> None:
        super().__init__(
            f"report of {incident_id} is at version {latest}; this edit started from {based_on}"
        )
        self.based_on = based_on
        self.latest = latest


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _version(row: Sequence[Any]) -> ReportVersion:
    inc, version, kind, locale, author, at, facts, sections, items, notes = row
    return ReportVersion(
        incident_id=inc,
        version=int(version),
        kind=kind,
        locale=locale,
        author=author,
        created_at=_utc(at),
        facts=facts_from_dict(json.loads(facts)),
        sections=dict(json.loads(sections)),
        action_items=tuple(json.loads(items)),
        notes=timeline_from_list(json.loads(notes or "[]")),
    )


def clean_notes(notes: Sequence[TimelineEntry]) -> tuple[TimelineEntry, ...]:
    """People's timeline entries with text, by time, as notes."""
    kept = [
        TimelineEntry(n.at, "note", " ".join(n.detail.split())[:500], dict(n.args))
        for n in notes
        if n.detail.strip()
    ]
    return tuple(sorted(kept, key=lambda n: n.at))


def clean_items(items: Sequence[Mapping[str, str]]) -> tuple[dict[str, str], ...]:
    """Action items with only the known fields, trimmed; rows with no text at all dropped."""
    cleaned = tuple({f: str(item.get(f, "")).strip() for f in ACTION_FIELDS} for item in items)
    return tuple(item for item in cleaned if any(item.values()))


class ReportStore:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, incident_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(incident_id, threading.Lock())

    def latest(self, incident_id: str) -> ReportVersion | None:
        result = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE incident_id = {{id:String}} "
            "ORDER BY version DESC LIMIT 1",
            {"id": incident_id},
        )
        return _version(result.rows[0]) if result.rows else None

    def version(self, incident_id: str, number: int) -> ReportVersion | None:
        result = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE incident_id = {{id:String}} "
            "AND version = {v:UInt32} LIMIT 1",
            {"id": incident_id, "v": number},
        )
        return _version(result.rows[0]) if result.rows else None

    def history(self, incident_id: str) -> list[tuple[int, str, datetime]]:
        """(version, author, time) of every version, oldest first."""
        result = self.store.query(
            f"SELECT version, author, created_at FROM {TABLE} "
            "WHERE incident_id = {id:String} ORDER BY version",
            {"id": incident_id},
        )
        return [(int(v), a, _utc(at)) for v, a, at in result.rows]

    def existing(self, incident_ids: Sequence[str]) -> set[str]:
        """Which of these incidents already have a report."""
        if not incident_ids:
            return set()
        result = self.store.query(
            f"SELECT DISTINCT incident_id FROM {TABLE} WHERE incident_id IN {{ids:Array(String)}}",
            {"ids": list(incident_ids)},
        )
        return {row[0] for row in result.rows}

    def written(self, incident_ids: Sequence[str]) -> set[str]:
        """Which of these reports have a version written by someone else than ``author``."""
        if not incident_ids:
            return set()
        result = self.store.query(
            f"SELECT DISTINCT incident_id FROM {TABLE} WHERE incident_id IN {{ids:Array(String)}} "
            "AND author != {generator:String}",
            {"ids": list(incident_ids), "generator": "vigie"},
        )
        return {row[0] for row in result.rows}

    def create(self, draft: ReportVersion) -> ReportVersion:
        """Store a generated draft as version 1, unless the report exists (then return it)."""
        with self._lock(draft.incident_id):
            current = self.latest(draft.incident_id)
            if current is not None:
                return current
            self._append(draft)
            return draft

    def refresh_facts(self, incident_id: str, facts: Facts, author: str) -> ReportVersion:
        """Append a version with newly measured facts and the latest human text unchanged (the
        incident resolved, or resolved again, after the draft was measured)."""
        with self._lock(incident_id):
            current = self.latest(incident_id)
            if current is None:
                raise LookupError(f"no report for {incident_id}")
            new = replace(
                current, version=current.version + 1, author=author, created_at=self.clock(),
                facts=facts,
            )  # fmt: skip
            self._append(new)
            return new

    def save(
        self,
        incident_id: str,
        based_on: int,
        author: str,
        sections: Mapping[str, str],
        action_items: Sequence[Mapping[str, str]],
        kind: ReportKind | None = None,
        notes: Sequence[TimelineEntry] | None = None,
    ) -> ReportVersion:
        """Append version ``based_on + 1``; :class:`StaleVersion` if ``based_on`` is not the
        latest; ``LookupError`` if the report does not exist. ``notes`` None keeps the
        timeline entries people wrote before."""
        with self._lock(incident_id):
            current = self.latest(incident_id)
            if current is None:
                raise LookupError(f"no report for {incident_id}")
            if current.version != based_on:
                raise StaleVersion(incident_id, based_on, current.version)
            new = ReportVersion(
                incident_id=incident_id,
                version=current.version + 1,
                kind=kind or current.kind,
                locale=current.locale,
                author=author,
                created_at=self.clock(),
                facts=current.facts,
                sections={k: str(v) for k, v in sections.items()},
                action_items=clean_items(action_items),
                notes=current.notes if notes is None else clean_notes(notes),
            )
            self._append(new)
            return new

    def _append(self, version: ReportVersion) -> None:
        row = [
            version.incident_id,
            version.version,
            version.kind,
            version.locale,
            version.author,
            version.created_at,
            json.dumps(facts_to_dict(version.facts), ensure_ascii=False, sort_keys=True),
            json.dumps(version.sections, ensure_ascii=False, sort_keys=True),
            json.dumps(list(version.action_items), ensure_ascii=False),
            json.dumps(timeline_to_list(version.notes), ensure_ascii=False),
        ]
        self.store.insert(TABLE, _COLUMNS, [row])
