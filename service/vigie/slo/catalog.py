"""The SLOs to evaluate, flattened from the config files into what the engine needs.

Each :class:`SloTarget` is one SLO of one app (``service.name``), optionally restricted to one
deployment environment, with its route filter and, for latency SLIs, its threshold in whole
milliseconds.

Latency thresholds are answered exactly when they lie on the latency grid of
:mod:`vigie.slo.spans` (any whole number of milliseconds up to 100, then two significant digits:
250, 300, 1500, …); any other threshold is rounded *down* to the grid (spans between the two
count as slow), the conservative side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vigie.config.slo import CustomSli, LatencySli, Probe, ProbeSli, Slo, SloFile
from vigie.slo.decision import Policy
from vigie.slo.spans import grid_floor


@dataclass(frozen=True)
class SloTarget:
    club: str
    app: str
    environment: str | None
    slo: Slo
    probes: tuple[Probe, ...] = field(default=())  # the file's probes (read by probe SLIs)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.club, self.app, self.environment or "", self.slo.name)

    @property
    def name(self) -> str:
        return self.slo.name

    @property
    def kind(self) -> str:
        return self.slo.sli.kind

    @property
    def custom(self) -> CustomSli | None:
        return self.slo.sli if isinstance(self.slo.sli, CustomSli) else None

    @property
    def is_probe(self) -> bool:
        return isinstance(self.slo.sli, ProbeSli)

    @property
    def threshold_ms(self) -> int | None:
        """The latency threshold on the grid (rounded down), None for other SLIs."""
        sli = self.slo.sli
        return grid_floor(sli.threshold_ms) if isinstance(sli, LatencySli) else None

    @property
    def policy(self) -> Policy:
        return Policy(
            objective=self.slo.objective,
            period=self.slo.window_timedelta,
            min_events=self.slo.min_events,
            page=self.slo.alerts.page,
            ticket=self.slo.alerts.ticket,
        )

    def matches(self, environment: str, route: str) -> bool:
        """Whether spans of this environment and route count for this SLO."""
        if self.environment is not None and environment != self.environment:
            return False
        routes = self.slo.routes
        if routes is None:
            return True
        if routes.include and route not in routes.include:
            return False
        return route not in routes.exclude


def targets_from_files(files: Iterable[SloFile]) -> list[SloTarget]:
    """Every SLO of every file, in file order."""
    return [
        SloTarget(
            club=f.club, app=f.app, environment=f.environment, slo=slo, probes=tuple(f.probes)
        )
        for f in files
        for slo in f.slos
    ]
