"""Incident events and the incident state folded from them (plain data, no I/O).

An incident is identified by a short stable id (``INC-`` + 10 base32 characters of a hash of its
key and opening instant) and keyed by ``(club, app, environment, slo)``. Two pseudo-SLOs share the
key space without colliding with configured SLO names (which are slugs):

* :data:`SILENT_SLO` — "receives no request any more": the app is dead (:mod:`.liveness`);
* :data:`PLATFORM_SLO` — the platform incident (club, app and environment empty).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

Severity = Literal["ticket", "page", "no_data"]
EventKind = Literal[
    "opened",  # a new incident
    "escalated",  # ticket → page
    "deescalated",  # page → ticket: no page pair fires any more, but errors go on
    "calm",  # one evaluation without the alert condition (the count is in ``cause``)
    "refired",  # the condition is back before the incident resolved: the calm count restarts
    "resolved",  # enough calm evaluations in a row (or its SLO left the configuration)
    "reopened",  # fired again within flap_reopen_within of resolving: same incident
    "widened",  # the platform incident now covers more apps
    "acknowledged",  # someone took it (stops repeats)
    "silenced",  # an active silence matches it: recorded, not notified
    "unsilenced",  # no silence matches it any more
    "gate_override",  # someone let the app roll out past the rollout gate (timeline only)
]
Status = Literal["open", "resolved"]
State = Literal["open", "acknowledged", "resolved"]

EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
STATES: tuple[str, ...] = get_args(State)
NOTABLE: frozenset[str] = frozenset(
    {"opened", "escalated", "deescalated", "resolved", "reopened", "acknowledged", "widened"}
)
"""Event kinds a channel is told about; the others only change internal state."""
EVALUATED: frozenset[str] = frozenset(
    {"opened", "escalated", "deescalated", "calm", "refired", "resolved", "reopened", "widened"}
)
"""Event kinds an evaluation causes (acknowledgements and silences come from people)."""

SILENT_SLO = "(silent)"
PLATFORM_SLO = "(platform)"

Key = tuple[str, str, str, str]
"""``(club, app, environment, slo)``; environment is ``""`` when the SLO has none."""

AppKey = tuple[str, str, str]
"""``(club, app, environment)``."""


def incident_id(key: Key, opened_at: datetime) -> str:
    """Deterministic: replaying the same opening gives the same id."""
    digest = hashlib.sha256(f"{'/'.join(key)}@{opened_at.isoformat()}".encode()).digest()
    return "INC-" + base64.b32encode(digest).decode()[:10]


def frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Event:
    """One state change of one incident, with its cause. Stored as one row, never updated."""

    incident_id: str
    seq: int  # 1, 2, … per incident
    at: datetime  # when the change was decided (timezone-aware)
    evaluation_at: datetime  # the evaluation that caused it (== at for API actions)
    kind: EventKind
    club: str
    app: str
    environment: str
    slo: str
    severity: Severity
    reason: str
    cause: Mapping[str, Any] = field(default_factory=lambda: frozen({}))
    author: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if self.at.tzinfo is None or self.evaluation_at.tzinfo is None:
            raise ValueError("event times must be timezone-aware")
        object.__setattr__(self, "cause", frozen(self.cause))

    @property
    def key(self) -> Key:
        return (self.club, self.app, self.environment, self.slo)

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "seq": self.seq,
            "club": self.club,
            "app": self.app,
            "environment": self.environment,
            "slo": self.slo,
            "at": self.at.isoformat(),
            "evaluation_at": self.evaluation_at.isoformat(),
            "kind": self.kind,
            "severity": self.severity,
            "reason": self.reason,
            "cause": dict(self.cause),
            "author": self.author,
        }


@dataclass(frozen=True)
class Incident:
    """The current state of one incident: the fold of its events (:func:`state.fold`)."""

    id: str
    club: str
    app: str
    environment: str
    slo: str
    severity: Severity  # the highest reached since it (re)opened, unless de-escalated since
    status: Status
    opened_at: datetime  # first opening
    since: datetime  # last opening or reopening
    resolved_at: datetime | None
    reason: str  # of the latest event that carried one
    cause: Mapping[str, Any]  # of the latest opening, escalation or refire
    last_seq: int
    notable_seq: int  # seq of the latest event channels are told about
    notable_kind: EventKind
    calm: int = 0  # consecutive evaluations without the alert condition
    reopen_count: int = 0
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    silenced_by: str | None = None  # id of the silence that matches it now
    affected: tuple[AppKey, ...] = ()  # platform incident: the apps it covers
    widened_by: tuple[AppKey, ...] = ()  # … those its latest widening added
    last_evaluation_at: datetime | None = None  # latest evaluation applied to it
    resolution: Mapping[str, Any] = field(default_factory=lambda: frozen({}))
    # the cause of its resolution: impact measured, remaining burn of the past outage
    residual_until: datetime | None = None  # firing on that remaining burn changes nothing

    @property
    def key(self) -> Key:
        return (self.club, self.app, self.environment, self.slo)

    @property
    def app_key(self) -> AppKey:
        return (self.club, self.app, self.environment)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_platform(self) -> bool:
        return self.slo == PLATFORM_SLO

    @property
    def state(self) -> State:
        if self.status == "resolved":
            return "resolved"
        return "acknowledged" if self.acknowledged_by is not None else "open"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "club": self.club,
            "app": self.app,
            "environment": self.environment,
            "slo": self.slo,
            "severity": self.severity,
            "state": self.state,
            "opened_at": self.opened_at.isoformat(),
            "since": self.since.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "reason": self.reason,
            "cause": dict(self.cause),
            "calm_evaluations": self.calm,
            "reopen_count": self.reopen_count,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": (self.acknowledged_at.isoformat() if self.acknowledged_at else None),
            "silenced_by": self.silenced_by,
            "affected": [list(k) for k in self.affected],
            "last_seq": self.last_seq,
            "resolution": dict(self.resolution),
        }
