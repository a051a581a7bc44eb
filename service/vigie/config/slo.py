"""SLO files: ``slo/<club>/<app>.yaml`` (or ``slo/<club>/<app>.<environment>.yaml``).

One file describes the objectives of one app (its OTel ``service.name``) of one club, optionally
restricted to one deployment environment. ``vigie schema slo`` prints the JSON schema of this
model for editors; ``vigie check`` validates every file with line numbers.

Versioned: ``version: 1`` (the default). Later versions only add optional fields, so every valid
version-1 file stays valid.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from vigie.config.fields import NAME_PATTERN, SLUG_PATTERN, Duration, StrictModel
from vigie.config.sql_expr import check_sql_expression

Window = Literal["7d", "28d", "30d", "90d"]
WINDOW_DAYS: dict[str, int] = {"7d": 7, "28d": 28, "30d": 30, "90d": 90}

DEFAULT_MIN_EVENTS = 100
"""Events needed in the long window of a burn-rate alert pair before that pair may fire.

With 10 requests an hour, one failure burns 14% of a 30-day 99.9% budget (SRE Workbook): a page on
so little traffic is noise. 100 events per long window means a site with 10 requests an hour is
judged by the day-long ticket pairs, never paged on the hour-long pair."""

SqlExpression = Annotated[str, AfterValidator(check_sql_expression)]


class AvailabilitySli(StrictModel):
    """Server spans of the app; bad = span status Error or HTTP response status >= 500."""

    kind: Literal["availability"]


class LatencySli(StrictModel):
    """Server spans of the app; good = span duration <= ``threshold_ms``."""

    kind: Literal["latency"]
    threshold_ms: float = Field(gt=0, description="a server span is good if it lasts at most this")

    @property
    def threshold_ns(self) -> int:
        """The threshold in nanoseconds, the unit of ``otel_traces.Duration``."""
        return round(self.threshold_ms * 1_000_000)


class CustomSli(StrictModel):
    """Good and total events as SQL expressions (aggregates) over the rollup or the raw tables.

    Written by platform admins in reviewed files; checked to be one plain expression each. The SLO
    engine wraps them in its own query and binds every runtime value as a parameter.
    """

    kind: Literal["custom"]
    good: SqlExpression = Field(description="SQL aggregate counting good events, e.g. countIf(…)")
    total: SqlExpression = Field(description="SQL aggregate counting all events, e.g. count()")
    source: Literal["rollup", "raw"] = Field(
        description="rollup: the SLO engine's per-minute rollup table; raw: otel_traces"
    )


class ProbeSli(StrictModel):
    """The file's probes (``probes:``); good = checks answered with the expected status (and
    body), bad = any other status, a refused or timed-out connection, or a body mismatch."""

    kind: Literal["probe"]


Sli = Annotated[
    AvailabilitySli | LatencySli | CustomSli | ProbeSli, Field(discriminator="kind")
]

MIN_PROBE_INTERVAL = timedelta(seconds=10)
MAX_PROBE_INTERVAL = timedelta(minutes=5)


class Probe(StrictModel):
    """One URL that the platform's prober requests on a schedule, from outside the app."""

    url: str = Field(
        pattern=r"^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$",
        max_length=2000,
        description="the absolute http(s) URL to request (no user:password@)",
    )
    expect_status: int = Field(default=200, ge=100, le=599, description="the status of success")
    interval: Duration = Field(
        default=timedelta(seconds=30), description="time between two checks (10s to 5m)"
    )
    body_contains: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="text that a healthy answer's body contains",
    )
    certificate_warning: Duration = Field(
        default=timedelta(days=14),
        description="https: a ticket when the certificate expires within this (a page within 2d)",
    )

    @field_validator("interval")
    @classmethod
    def _interval_bounds(cls, value: timedelta) -> timedelta:
        if not MIN_PROBE_INTERVAL <= value <= MAX_PROBE_INTERVAL:
            raise ValueError("must be between 10s and 5m")
        if value.total_seconds() != int(value.total_seconds()):
            raise ValueError("must be a whole number of seconds")
        return value

    @property
    def is_tls(self) -> bool:
        return self.url.startswith("https://")


class RouteFilter(StrictModel):
    """Which server spans count, by their exact ``http.route`` value (e.g. ``/api/users/{id}``).

    Spans without a route only count when ``include`` is empty.
    """

    include: list[str] = Field(default_factory=list, description="only these routes (empty: all)")
    exclude: list[str] = Field(default_factory=list, description="never these routes")

    @model_validator(mode="after")
    def _not_both(self) -> RouteFilter:
        overlap = sorted(set(self.include) & set(self.exclude))
        if overlap:
            raise ValueError(f"routes both included and excluded: {', '.join(overlap)}")
        return self


class AlertSwitches(StrictModel):
    """Which alerts this SLO may raise."""

    page: bool = Field(default=True, description="fast burn: mention the captains")
    ticket: bool = Field(default=True, description="slow burn: a message without mentions")


class Slo(StrictModel):
    """One objective: a share of good events over a rolling window."""

    name: str = Field(pattern=SLUG_PATTERN, max_length=63, description="unique in the file")
    description: str | None = Field(default=None, description="shown in alerts and reports")
    objective: float = Field(gt=0, lt=100, description="percent of good events, e.g. 99.9")
    window: Window = Field(default="30d", description="rolling period of the error budget")
    sli: Sli
    routes: RouteFilter | None = Field(
        default=None, description="restrict to some http.route values (not for custom SLIs)"
    )
    min_events: int = Field(
        default=DEFAULT_MIN_EVENTS,
        ge=1,
        description=(
            "fewest events in the long window of a burn-rate alert pair for that pair to fire; "
            "below it the SLO reports low_traffic instead of alerting"
        ),
    )
    alerts: AlertSwitches = Field(default_factory=AlertSwitches)

    @model_validator(mode="after")
    def _routes_need_spans(self) -> Slo:
        if self.routes is not None and isinstance(self.sli, CustomSli):
            raise ValueError("routes apply to availability and latency SLIs; filter in the SQL")
        if self.routes is not None and isinstance(self.sli, ProbeSli):
            raise ValueError("routes apply to availability and latency SLIs, not to probes")
        return self

    @property
    def error_budget(self) -> float:
        """Allowed share of bad events, as a fraction (99.9 → 0.001)."""
        # Rounded so that 99.9 gives 0.001, not 0.0009999999999998899.
        return round((100 - self.objective) / 100, 12)

    @property
    def window_timedelta(self) -> timedelta:
        return timedelta(days=WINDOW_DAYS[self.window])

    @property
    def window_seconds(self) -> int:
        return WINDOW_DAYS[self.window] * 86400


class SloFile(StrictModel):
    """The objectives of one app of one club.

    Uniqueness (SLO names in a file, apps across files) is checked by
    :func:`vigie.config.check_config`, which can point at the line of the duplicate.
    """

    version: Literal[1] = Field(default=1, description="file format version")
    app: str = Field(pattern=NAME_PATTERN, description="the app's OTel service.name")
    club: str = Field(pattern=SLUG_PATTERN, description="a club id declared in alerts/clubs.yaml")
    environment: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="only spans whose deployment.environment(.name) is this (default: all)",
    )
    slos: list[Slo] = Field(min_length=1)
    probes: list[Probe] = Field(
        default_factory=list, description="URLs the platform requests to check that the app answers"
    )

    @model_validator(mode="after")
    def _probe_sli_needs_probes(self) -> SloFile:
        if not self.probes and any(isinstance(s.sli, ProbeSli) for s in self.slos):
            raise ValueError("an SLO with sli kind probe needs at least one entry in probes")
        urls = [p.url for p in self.probes]
        if len(set(urls)) != len(urls):
            raise ValueError("probes: the same URL is listed twice")
        return self

    def slo(self, name: str) -> Slo:
        """The SLO named ``name``; ``KeyError`` if there is none."""
        for slo in self.slos:
            if slo.name == name:
                return slo
        raise KeyError(name)
