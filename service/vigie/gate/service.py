"""What the API and the CLI call for the rollout gate: :class:`GateService`.

It reads the version rollup (canary mode) or the evaluator's latest evaluation (whole-app mode),
applies an active override, and opens or closes overrides, recording each in the timeline of
the app's open incidents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from vigie.gate import verdict
from vigie.gate.overrides import Override, OverrideStore, new_override
from vigie.incidents.service import IncidentService, NotFound
from vigie.slo import canary as canary_math
from vigie.slo.catalog import SloTarget
from vigie.slo.evaluator import Evaluator
from vigie.slo.rings import floor_to
from vigie.slo.versions import comparisons, read_version_counts

DEFAULT_WINDOW = timedelta(minutes=10)
MAX_WINDOW = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


class GateService:
    def __init__(
        self,
        evaluator: Evaluator,
        incidents: IncidentService,
        clock: Callable[[], datetime],
        *,
        min_requests: int = canary_math.DEFAULT_MIN_REQUESTS,
        alpha: float = canary_math.DEFAULT_ALPHA,
    ) -> None:
        self.evaluator = evaluator
        self.incidents = incidents
        self.overrides = OverrideStore(evaluator.store)
        self.clock = clock
        self.min_requests = min_requests
        self.alpha = alpha

    def targets(self, club: str, app: str) -> list[SloTarget]:
        """The app's SLOs; ``NotFound`` when the app has none."""
        found = [t for t in self.evaluator.targets if t.club == club and t.app == app]
        if not found:
            raise NotFound(f"no SLO for app {app!r} of club {club!r}")
        return found

    def has_app(self, club: str, app: str) -> bool:
        return any(t.club == club and t.app == app for t in self.evaluator.targets)

    def judge(self, club: str, app: str, *, canary: str | None = None,
              stable: str | None = None, window: timedelta = DEFAULT_WINDOW) -> dict[str, Any]:
        """The gate's answer for the app (see :mod:`vigie.gate.verdict`)."""
        targets = self.targets(club, app)
        now = self.clock()
        if canary is None:
            evaluation = self.evaluator.fresh()
            mine = [s for s in evaluation.statuses if s.target.club == club
                    and s.target.app == app]
            result, reason, blocking = verdict.whole_app(mine)
            details: dict[str, Any] = {
                "mode": "whole_app", "blocking": blocking,
                "slos": {s.target.name: s.decision.state for s in mine},
            }
            at = evaluation.at
        else:
            end = floor_to(now, _MINUTE) + _MINUTE  # the current minute counts: it is live
            rows = read_version_counts(self.evaluator.store, app, end - window, end)
            judgement = canary_math.judge(comparisons(targets, rows, canary, stable),
                                          min_requests=self.min_requests, alpha=self.alpha)
            result, reason = judgement.verdict, judgement.reason
            details = verdict.canary_details(judgement, canary, stable,
                                             int(window / _MINUTE))
            at = now
        return verdict.answer(at, result, reason, details,
                              self.overrides.active(club, app, now))

    def open_override(self, club: str, app: str, *, duration: timedelta, author: str,
                      reason: str) -> Override:
        """``ValueError`` for a bad duration, author or reason; ``NotFound`` for an unknown app."""
        self.targets(club, app)
        override = self.overrides.add(new_override(
            club=club, app=app, duration=duration, author=author, reason=reason,
            now=self.clock()))
        self.incidents.note_gate_override(club, app, override.author, _note(override))
        return override

    def close_override(self, override_id: str, author: str) -> Override:
        closed = self.overrides.close(override_id, self.clock())
        if closed is None:
            raise NotFound(f"no override {override_id}")
        self.incidents.note_gate_override(closed.club, closed.app, author, _note(closed))
        return closed

    def list_overrides(self) -> list[Override]:
        return self.overrides.all()


def _note(override: Override) -> str:
    """The timeline's detail, free of words (its label is translated): id, end, reason."""
    return f"{override.id} → {override.ends_at.isoformat()}: {override.reason}"
