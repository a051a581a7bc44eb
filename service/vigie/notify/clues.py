"""What a notice can say beyond the engine's numbers: the SLO's kind (and latency threshold), the
most frequent error message and the routes with the most failures (the I/O edge of notices).

Read from ClickHouse with the reports' queries (:mod:`vigie.reports.queries`, one place per
concern) over the last :data:`LOOKBACK` before the incident's latest (re)opening up to now —
only for the incidents a notice is about to announce, and once per app and SLO. Telemetry is
scrubbed of personal data at ingest; the error is scrubbed again here (a pattern added since
then applies too) and cut short, as it will be shown in a chat message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from vigie.config import Config
from vigie.errors import StoreError
from vigie.incidents.model import PLATFORM_SLO, SILENT_SLO, Incident
from vigie.ingest.scrub import Scrubber
from vigie.reports import queries
from vigie.reports.adapter import slo_info
from vigie.store import Store

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=30)
CLUED_KINDS = frozenset(
    {"open", "update", "platform", "platform_captain", "escalation", "reminder"}
)
"""Notice kinds that describe incidents (edits keep the clues of the message they edit)."""
ERROR_MAX = 200
ROUTES = 3


@dataclass(frozen=True)
class Clue:
    sli: str = ""
    threshold_ms: float | None = None
    top_error: str = ""
    routes: tuple[str, ...] = ()


class Clues:
    """Finds the clues of incidents; one per process (holds the scrubber)."""

    def __init__(self, store: Store, config: Config, scrubber: Scrubber | None = None) -> None:
        self._store = store
        self._config = config
        self._scrubber = scrubber

    def of(self, incidents: Iterable[Incident], now: datetime) -> dict[str, Clue]:
        """Clues by incident id; an incident whose clues cannot be read gets none (a notice
        without its top error is better than no notice)."""
        out: dict[str, Clue] = {}
        for incident in incidents:
            if incident.id in out or incident.slo in (SILENT_SLO, PLATFORM_SLO):
                continue
            try:
                out[incident.id] = self._clue(incident, now)
            except StoreError as exc:
                log.warning(
                    "no clues for a notice", extra={"incident": incident.id, "error": str(exc)}
                )
        return out

    def _clue(self, incident: Incident, now: datetime) -> Clue:
        slo = slo_info(self._config, incident)
        start, end = incident.since - LOOKBACK, now
        scope = queries.Scope(incident.app, incident.environment, slo)
        routes = queries.routes_by_failures(self._store, scope, start, end, limit=ROUTES)
        errors = queries.error_messages(self._store, incident.app, start, end, limit=1)
        top = " ".join(errors[0].name.split()) if errors else ""
        if top:
            top = self._scrub(top)[:ERROR_MAX]
        return Clue(slo.sli, slo.threshold_ms, top, tuple(r.route for r in routes))

    def _scrub(self, text: str) -> str:
        return (self._scrubber or _default_scrubber()).scrub_text(text)


@cache
def _default_scrubber() -> Scrubber:
    return Scrubber()  # compiles the patterns: once per process
