"""Scenarios: what goes wrong (or changes) for one app during a time window.

A scenario is data: a kind, an app, a window ``[start_ns, end_ns)`` and one parameter. The
generator asks :func:`effects_at` what applies to a request of an app at an instant, so the same
rules drive the live run (``--scenario``) and the back-dated history (:func:`past_incidents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from vigie.loadgen.catalog import MONTREAL_UTC_OFFSET_H, App

ScenarioKind = Literal["outage", "latency", "deploy"]
KINDS: tuple[str, ...] = get_args(ScenarioKind)

DEFAULT_LATENCY_FACTOR = 10.0
_MINUTE_NS = 60 * 1_000_000_000
_HOUR_NS = 60 * _MINUTE_NS
_DAY_NS = 24 * _HOUR_NS


@dataclass(frozen=True, slots=True)
class Scenario:
    kind: ScenarioKind
    app: str
    start_ns: int = 0
    # None: until the end of the run.
    end_ns: int | None = None
    # outage: share of the app's requests answered 503.
    share: float = 1.0
    # latency: multiplier of every duration.
    factor: float = DEFAULT_LATENCY_FACTOR
    # deploy: the version running while the scenario is active (None: next minor version).
    version: str | None = None

    def active(self, t_ns: int) -> bool:
        return self.start_ns <= t_ns and (self.end_ns is None or t_ns < self.end_ns)

    def shifted(self, start_ns: int, end_ns: int | None = None) -> Scenario:
        """The same scenario over another window."""
        return Scenario(
            self.kind, self.app, start_ns, end_ns, self.share, self.factor, self.version
        )


@dataclass(frozen=True, slots=True)
class Effects:
    """What the active scenarios do to one request."""

    version: str
    outage_share: float = 0.0
    latency_factor: float = 1.0


def next_minor(version: str) -> str:
    """``1.4.2`` → ``1.5.0``: the version a deploy scenario rolls out when none is given."""
    parts = version.split(".")
    if len(parts) < 2 or not parts[1].isdigit():
        return f"{version}-next"
    return ".".join([parts[0], str(int(parts[1]) + 1), *("0" for _ in parts[2:])])


def effects_at(scenarios: tuple[Scenario, ...], app: App, t_ns: int) -> Effects:
    """Combine the scenarios of ``app`` active at ``t_ns`` (the latest deploy wins)."""
    version = app.version
    outage = 0.0
    factor = 1.0
    deploy_start = -1
    for s in scenarios:
        if s.app != app.key or not s.active(t_ns):
            continue
        if s.kind == "outage":
            outage = max(outage, s.share)
        elif s.kind == "latency":
            factor *= s.factor
        elif s.start_ns > deploy_start:
            deploy_start = s.start_ns
            version = s.version or next_minor(app.version)
    return Effects(version=version, outage_share=outage, latency_factor=factor)


def parse_scenario(text: str, known_apps: tuple[str, ...]) -> Scenario:
    """Parse ``KIND:CLUB/APP[:VALUE]`` (window left at the start of time; callers shift it).

    VALUE is the failing share for ``outage`` (0-1, default 1), the multiplier for ``latency``
    (default 10) and the new version for ``deploy`` (default: next minor version).
    """
    kind, _, rest = text.partition(":")
    app, _, value = rest.partition(":")
    if kind not in KINDS:
        raise ValueError(f"scenario {text!r}: kind must be one of {', '.join(KINDS)}")
    if app not in known_apps:
        raise ValueError(
            f"scenario {text!r}: unknown app {app!r}, choose among {', '.join(known_apps)}"
        )
    if kind == "deploy":
        return Scenario("deploy", app, version=value or None)
    number: float | None = None
    if value:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"scenario {text!r}: {value!r} is not a number") from None
    if kind == "outage":
        share = 1.0 if number is None else number
        if not 0.0 < share <= 1.0:
            raise ValueError(f"scenario {text!r}: the failing share must be in (0, 1]")
        return Scenario("outage", app, share=share)
    factor = DEFAULT_LATENCY_FACTOR if number is None else number
    if factor <= 0:
        raise ValueError(f"scenario {text!r}: the latency factor must be positive")
    return Scenario("latency", app, factor=factor)


def past_incidents(now_ns: int, days: float) -> tuple[Scenario, ...]:
    """The incidents written into a history of ``days`` days ending at ``now_ns``.

    Placed at fixed Montréal times of day, counted in days before the day of ``now_ns``, so that
    runs on the same day place them identically. They give the budgets a visible past: a fast
    burn (a short full outage), a slow one (a few percent of errors for hours), a partial
    outage, a latency regression, and a deploy that changed a version.
    """
    offset = MONTREAL_UTC_OFFSET_H * _HOUR_NS
    midnight = (now_ns + offset) // _DAY_NS * _DAY_NS - offset
    start = now_ns - int(days * _DAY_NS)

    def window(days_ago: int, hour: int, minute: int, minutes: float) -> tuple[int, int]:
        begin = midnight - days_ago * _DAY_NS + hour * _HOUR_NS + minute * _MINUTE_NS
        return begin, begin + int(minutes * _MINUTE_NS)

    candidates = [
        Scenario("outage", "algoets/site-web", *window(3, 14, 10, 12), share=1.0),
        # Before this deploy api-concours ran 2.0.4; it runs the catalogue version since.
        Scenario("deploy", "algoets/api-concours", 0, window(5, 16, 30, 0)[0], version="2.0.4"),
        Scenario("latency", "cedille/wiki", *window(9, 10, 0, 180), factor=15.0),
        Scenario("outage", "sonia/portail", *window(12, 9, 0, 360), share=0.05),
        Scenario("outage", "cedille/forge", *window(20, 19, 30, 25), share=0.5),
    ]
    return tuple(
        s for s in candidates if s.end_ns is not None and s.end_ns > start and s.start_ns < now_ns
    )
