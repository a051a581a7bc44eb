"""The plain-data contract between the incident engine (which decides *what* to say) and the
delivery (which says it on Discord).

A :class:`Notice` is one intended Discord message (or one edit of an earlier message). It is
frozen, holds only plain values and round-trips through JSON (:func:`notice_to_json`,
:func:`notice_from_json`), because the outbox stores it before anything is sent.

Text fields that come from telemetry (``IncidentLine.summary``, and ``app``/``slo`` names, which
are user-chosen) are untrusted: the renderer escapes them, producers must not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, Protocol, get_args

from vigie.i18n import DEFAULT_TIMEZONE, Locale

Severity = Literal["page", "ticket", "no_data"]
IncidentState = Literal["open", "acknowledged", "resolved"]
Kind = Literal[
    "open",  # new incident(s) announced
    "update",  # an announced incident changed (severity, burn) or a repeat reminder
    "resolve",  # incident(s) resolved: PATCH of the original message + a short follow-up
    "ack",  # incident(s) acknowledged: PATCH of the original message only
    "platform",  # one platform incident for admins (many apps of many clubs at once)
    "platform_captain",  # tells a club that its apps are part of a platform incident
    "webhook_dead",  # for admins: a club's webhook was deleted (404 Unknown Webhook)
    "report_ready",  # a post-incident draft is ready; ``extra["url"]`` links to it
    "escalation",  # for admins: a page nobody acknowledged in time (mentions the admins)
    "reminder",  # for the club: the same page, still unacknowledged (mentions the captains)
    "digest",  # the weekly digest; ``extra["digest"]`` holds it as JSON (vigie.notify.digest)
]
ADMINS = "admins"
"""The channel name of the admins' webhook; any other channel is a club id."""

KINDS: tuple[str, ...] = get_args(Kind)
SEVERITIES: tuple[str, ...] = get_args(Severity)
STATES: tuple[str, ...] = get_args(IncidentState)


@dataclass(frozen=True)
class IncidentLine:
    """One incident inside a notice (a grouped notice has several)."""

    incident_id: str
    club: str
    app: str
    slo: str
    severity: Severity
    state: IncidentState
    objective: float  # percent, e.g. 99.9
    window: str  # SLO period, e.g. "30d"
    burn_rate: float | None  # of the fastest firing pair (None for no_data)
    burn_window: str | None  # that pair's long window, e.g. "1h"
    budget_remaining: float | None  # fraction of the period's budget left, may be negative
    since: datetime  # timezone-aware (UTC)
    resolved_at: datetime | None
    dashboard_url: str  # Grafana dashboard of the app
    incident_url: str  # Vigie's incident page
    summary: str = ""  # telemetry-derived (e.g. top error): UNTRUSTED, escaped by the renderer
    acknowledged_by: str | None = None  # display name of who acknowledged (escaped too)
    acknowledged_at: datetime | None = None
    sli: str = ""  # availability | latency | custom ("" unknown)
    threshold_ms: float | None = None  # latency SLO: a request slower than this is bad
    failing_now: float | None = None  # share of bad requests over the shortest alert window
    burn_rates: tuple[tuple[str, float], ...] = ()  # (window, burn rate): admins' detail only
    routes: tuple[str, ...] = ()  # routes with the most failures: UNTRUSTED, escaped too
    # The outage itself, measured on the SLI (resolved incidents), apart from the alert's life:
    impact_start: datetime | None = None  # first minute out of objective
    impact_end: datetime | None = None  # minute after the last one out of objective
    failed: int | None = None  # failed requests of the impact window
    total: int | None = None  # requests of the impact window
    residual_burn: float | None = None  # how fast the past outage still burns the budget
    residual_window: str | None = None  # … over that window (its pairs stop by themselves)
    silent_since: datetime | None = None  # a dead app: no request since this minute
    # What broke, in facts the notice words itself: failing probes (url, failing since as a Unix
    # time, outcome: a status code, "error" (no answer) or "invalid" (body), error kind), an
    # expiring certificate (url, expiry, "certificate", ""), or a Kubernetes signal (object,
    # last seen, "k8s_<kind>", "down" or ""). URLs come from the reviewed SLO files.
    facts: tuple[tuple[str, int, str, str], ...] = ()

    @property
    def outage(self) -> timedelta | None:
        """The outage's length (impact end - start), when measured."""
        if self.impact_start is None or self.impact_end is None:
            return None
        return self.impact_end - self.impact_start

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.state not in STATES:
            raise ValueError(f"unknown state {self.state!r}")
        if self.since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        for name in ("resolved_at", "acknowledged_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        object.__setattr__(self, "burn_rates", tuple((w, b) for w, b in self.burn_rates))
        object.__setattr__(self, "routes", tuple(self.routes))


@dataclass(frozen=True)
class Notice:
    """One intended Discord message (or edit), addressed to one channel."""

    key: str  # idempotency key, unique per intended message: the outbox's primary key
    channel: str  # ADMINS or a club id
    locale: Locale
    kind: Kind
    lines: tuple[IncidentLine, ...]
    created_at: datetime  # timezone-aware
    mention_user_ids: tuple[str, ...] = ()  # who to ping (only on page): user ids; "&<id>": a role
    edit_of: str | None = None  # key of the earlier notice whose message is PATCHed (ack/resolve)
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # extra keys read by the renderer: "url" (report_ready), "channel" (webhook_dead),
    # "apps_total" (platform: apps evaluated), "digest" (digest: JSON).
    timezone: str = DEFAULT_TIMEZONE  # the reader's (the club's): times are shown in it

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a notice needs a key")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.locale not in ("fr", "en"):
            raise ValueError(f"unknown locale {self.locale!r}")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        if not all(uid.removeprefix("&").isdigit() for uid in self.mention_user_ids):
            raise ValueError("mention_user_ids must be Discord snowflakes (digits, '&' for roles)")
        # Frozen all the way down: a caller's dict cannot change a recorded notice.
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "mention_user_ids", tuple(self.mention_user_ids))


def plain(value: Any) -> Any:
    """``value`` with datetimes as ISO texts and tuples as lists: ready for ``json.dumps``."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def notice_to_json(notice: Notice) -> str:
    """The notice as a JSON text (what the outbox stores)."""
    data = {name: getattr(notice, name) for name in Notice.__dataclass_fields__}
    data["lines"] = [asdict(line) for line in notice.lines]
    data["extra"] = dict(notice.extra)
    return json.dumps(plain(data), ensure_ascii=False, sort_keys=True)


def _line_from(data: Mapping[str, Any]) -> IncidentLine:
    values = dict(data)
    values["since"] = datetime.fromisoformat(values["since"])
    for name in ("resolved_at", "acknowledged_at", "impact_start", "impact_end", "silent_since"):
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    values["facts"] = tuple(tuple(f) for f in values.get("facts", ()))
    return IncidentLine(**values)


def notice_from_json(text: str) -> Notice:
    """The inverse of :func:`notice_to_json`."""
    data = json.loads(text)
    data["lines"] = tuple(_line_from(line) for line in data["lines"])
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    data["mention_user_ids"] = tuple(data["mention_user_ids"])
    return Notice(**data)


class NoticeSink(Protocol):
    """What the incident engine hands notices to (:class:`vigie.notify.dispatcher.Delivery`).

    ``submit`` records every notice in the durable outbox before returning (so a crash after it
    returns loses nothing) and queues it for sending; it never waits for Discord. Submitting a
    key already recorded is a no-op, so a producer may safely re-submit after a crash.
    """

    def submit(self, notices: Sequence[Notice]) -> None: ...
