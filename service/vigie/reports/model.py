"""The plain data of a report: the incident it is about, the facts measured, the human sections.

Everything here is frozen and JSON-ready (:func:`facts_to_dict` / :func:`facts_from_dict`),
because a report version stores its facts snapshot as JSON beside the human sections.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from vigie.i18n import DEFAULT_TIMEZONE as DEFAULT_TIMEZONE  # re-exported: the one default zone

Locale = Literal["fr", "en"]
ReportKind = Literal["standard", "security"]
REPORT_KINDS: tuple[str, ...] = ("standard", "security")

# The human sections of each kind, in the order the draft shows them (Google SRE postmortem).
SECTIONS: dict[str, tuple[str, ...]] = {
    "standard": (
        "summary",
        "user_impact",
        "root_cause",
        "trigger",
        "resolution",
        "detection",
        "communication",
        "went_well",
        "went_badly",
        "lucky",
    ),
    "security": (
        "summary",
        "detection",
        "scope",
        "data_involved",
        "containment",
        "notification",
        "follow_up",
    ),
}
ACTION_FIELDS: tuple[str, ...] = ("action", "type", "owner", "due", "link")
ACTION_TYPES: tuple[str, ...] = ("mitigate", "prevent", "process", "other")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # opened, escalated, acknowledged, silenced, notified, resolved, deploy, note, …
    detail: str  # plain text, untrusted when it comes from telemetry (escaped by renderers)
    # The detail's values (severity, burn, channel, delivery state…), so that renderers say it
    # in the reader's language; ``detail`` is the engine's English, kept for the API.
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SloInfo:
    name: str
    objective: float  # percent
    window_days: int
    sli: str  # availability | latency | custom (custom is measured as availability)
    threshold_ms: float | None = None
    environment: str | None = None
    include_routes: tuple[str, ...] = ()
    exclude_routes: tuple[str, ...] = ()

    @property
    def error_budget(self) -> float:
        return round((100 - self.objective) / 100, 12)


@dataclass(frozen=True)
class IncidentRecord:
    """What a report needs to know about an incident (adapted from the incident engine)."""

    id: str
    club: str
    app: str
    environment: str
    slos: tuple[SloInfo, ...]
    severity: str  # highest reached
    state: str  # open | acknowledged | resolved
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    timeline: tuple[TimelineEntry, ...]
    covered: tuple[tuple[str, str, str], ...] = ()  # platform incident: (club, app, environment)
    club_name: str = ""  # display name ("" for platform incidents)
    timezone: str = DEFAULT_TIMEZONE  # the club's, for every time a reader sees
    it_contact: str = ""  # the school's IT contact (security reports' communication prompt)


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Counted:
    name: str
    count: int


@dataclass(frozen=True)
class RouteImpact:
    route: str
    failed: int
    total: int


@dataclass(frozen=True)
class AppImpact:
    """One app a platform incident covers, with its requests over the incident's window."""

    club: str
    app: str
    environment: str
    failed: int
    total: int


@dataclass(frozen=True)
class Related:
    id: str
    slo: str
    severity: str
    opened_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class Facts:
    """Every number of a draft, measured in ClickHouse (:mod:`vigie.reports.facts`)."""

    incident: IncidentRecord
    impact_start: datetime
    impact_end: datetime
    failed: int
    total: int
    peak_error_ratio: float | None
    mean_error_ratio: float | None
    latency_during: Latency | None
    latency_before: Latency | None
    budget_consumed_pct: float | None
    budget_remaining_pct: float | None
    routes: tuple[RouteImpact, ...]
    error_messages: tuple[Counted, ...]
    exception_types: tuple[Counted, ...]
    trace_ids: tuple[str, ...]
    timeline: tuple[TimelineEntry, ...]  # incident events, notices and version changes
    related: tuple[Related, ...]
    pii_matches: tuple[Counted, ...] | None = None  # security reports: matches per PII rule
    links: dict[str, str] = field(default_factory=dict)  # dashboard, incident, traces by id
    covered: tuple[AppImpact, ...] = ()  # platform incident: every app it covers

    @property
    def time_to_detect(self) -> float:
        return (self.incident.opened_at - self.impact_start).total_seconds()

    @property
    def time_to_acknowledge(self) -> float | None:
        ack = self.incident.acknowledged_at
        return None if ack is None else (ack - self.incident.opened_at).total_seconds()

    @property
    def time_to_resolve(self) -> float | None:
        """The outage's length: impact end - impact start (None while the incident is open)."""
        if self.incident.resolved_at is None:
            return None
        return (self.impact_end - self.impact_start).total_seconds()

    @property
    def alert_lifetime(self) -> float | None:
        """How long the alert stayed open (opened → resolved), not the outage's length."""
        end = self.incident.resolved_at
        return None if end is None else (end - self.incident.opened_at).total_seconds()


@dataclass(frozen=True)
class ReportVersion:
    incident_id: str
    version: int
    kind: ReportKind
    locale: Locale
    author: str
    created_at: datetime
    facts: Facts
    sections: dict[str, str]
    action_items: tuple[dict[str, str], ...]
    notes: tuple[TimelineEntry, ...] = ()  # timeline entries written by people (kind "note")


# --- JSON ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def facts_to_dict(facts: Facts) -> dict[str, Any]:
    data: dict[str, Any] = _plain(asdict(facts))
    return data


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _timeline(items: list[dict[str, Any]]) -> tuple[TimelineEntry, ...]:
    return tuple(
        TimelineEntry(datetime.fromisoformat(t["at"]), t["kind"], t["detail"], t.get("args", {}))
        for t in items
    )


def timeline_to_list(entries: tuple[TimelineEntry, ...]) -> list[dict[str, Any]]:
    return [_plain(asdict(e)) for e in entries]


def timeline_from_list(items: list[dict[str, Any]]) -> tuple[TimelineEntry, ...]:
    return _timeline(items)


def _latency(data: dict[str, Any] | None) -> Latency | None:
    return None if data is None else Latency(**data)


def facts_from_dict(data: dict[str, Any]) -> Facts:
    inc = dict(data["incident"])
    record = IncidentRecord(
        **{
            **inc,
            "slos": tuple(
                SloInfo(
                    **{
                        **s,
                        "include_routes": tuple(s["include_routes"]),
                        "exclude_routes": tuple(s["exclude_routes"]),
                    }
                )
                for s in inc["slos"]
            ),
            "opened_at": datetime.fromisoformat(inc["opened_at"]),
            "acknowledged_at": _time(inc["acknowledged_at"]),
            "resolved_at": _time(inc["resolved_at"]),
            "timeline": _timeline(inc["timeline"]),
            "covered": tuple(tuple(k) for k in inc.get("covered", ())),
        }
    )
    pii = data.get("pii_matches")
    return Facts(
        incident=record,
        impact_start=datetime.fromisoformat(data["impact_start"]),
        impact_end=datetime.fromisoformat(data["impact_end"]),
        failed=data["failed"],
        total=data["total"],
        peak_error_ratio=data["peak_error_ratio"],
        mean_error_ratio=data["mean_error_ratio"],
        latency_during=_latency(data["latency_during"]),
        latency_before=_latency(data["latency_before"]),
        budget_consumed_pct=data["budget_consumed_pct"],
        budget_remaining_pct=data["budget_remaining_pct"],
        routes=tuple(RouteImpact(**r) for r in data["routes"]),
        error_messages=tuple(Counted(**c) for c in data["error_messages"]),
        exception_types=tuple(Counted(**c) for c in data["exception_types"]),
        trace_ids=tuple(data["trace_ids"]),
        timeline=_timeline(data["timeline"]),
        related=tuple(
            Related(
                r["id"],
                r["slo"],
                r["severity"],
                datetime.fromisoformat(r["opened_at"]),
                _time(r["resolved_at"]),
            )
            for r in data["related"]
        ),
        pii_matches=None if pii is None else tuple(Counted(**c) for c in pii),
        links=dict(data.get("links", {})),
        covered=tuple(AppImpact(**c) for c in data.get("covered", ())),
    )
