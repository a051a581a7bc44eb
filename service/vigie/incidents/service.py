"""What the API, the CLI and the scheduler call: :class:`IncidentService`.

It holds the store, the configuration, the links, the clock and (when Discord delivery runs) the
notice sink, and serialises writers of the event log: sequence numbers are "last + 1" per
incident, so an acknowledgement must not interleave with a cycle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from vigie.config import Config
from vigie.errors import VigieError
from vigie.incidents.lines import Links
from vigie.incidents.model import Event, Incident
from vigie.incidents.pipeline import CycleOutcome, run_cycle
from vigie.incidents.silences import Silence, SilenceStore, new_silence
from vigie.incidents.store import IncidentStore
from vigie.notify.notice import Notice, NoticeSink
from vigie.notify.outbox import Outbox
from vigie.settings import Settings
from vigie.slo.evaluator import Evaluation
from vigie.store import Store

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No incident or silence with this id."""


class Conflict(ValueError):
    """The request does not apply to the current state (e.g. acknowledging a resolved incident)."""


class OutboxSink:
    """A notice sink for one-shot commands (``vigie evaluate``): records notices in the
    delivery's outbox as ``pending`` and returns; the service's delivery sends them (its
    ``start`` / ``run_pending`` pick up pending notices). Known keys are ignored."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.outbox = Outbox(store, clock)

    def submit(self, notices: Sequence[Notice]) -> None:
        self.outbox.record(notices)


class IncidentService:
    def __init__(
        self,
        store: Store,
        config: Config,
        links: Links,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        delivery: NoticeSink | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.links = links
        self.clock = clock
        self.delivery = delivery
        self.incidents = IncidentStore(store)
        self.silences = SilenceStore(store)
        self.failures = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, store: Store, config: Config, settings: Settings, *, delivery: NoticeSink | None = None
    ) -> IncidentService:
        return cls(store, config, Links.of(settings), delivery=delivery)

    # --- cycles ---------------------------------------------------------------------------

    def run_cycle(
        self, evaluation: Evaluation, *, now: datetime | None = None, dry_run: bool = False
    ) -> CycleOutcome:
        """Apply an evaluation (``now`` defaults to the clock); raises on store failures."""
        with self._lock:
            return run_cycle(
                self.store,
                self.config,
                evaluation,
                now or self.clock(),
                links=self.links,
                dry_run=dry_run,
                delivery=self.delivery,
            )

    def after_evaluation(self, evaluation: Evaluation | None) -> CycleOutcome | None:
        """For the scheduler, after each evaluation: never raises (logged, counted, retried
        with the next evaluation, which re-derives everything from the stored events)."""
        if evaluation is None:
            return None
        try:
            outcome = self.run_cycle(evaluation)
        except VigieError as exc:
            self.failures += 1
            log.warning("incident cycle failed: %s", exc)
            return None
        except Exception:  # the edge of a scheduled job: keep the scheduler alive
            self.failures += 1
            log.exception("incident cycle failed unexpectedly")
            return None
        log.info(
            "incident cycle",
            extra={
                "events": len(outcome.events),
                "notices": len(outcome.notices),
                "platform": outcome.platform.holds,
            },
        )
        return outcome

    # --- incidents ------------------------------------------------------------------------

    def find(
        self,
        *,
        club: str | None = None,
        app: str | None = None,
        state: str | None = None,
        since: datetime | None = None,
    ) -> list[Incident]:
        found = self.incidents.incidents(club=club, app=app, since=since)
        return [i for i in found if state is None or i.state == state]

    def get(self, incident_id: str) -> tuple[Incident, list[Event]]:
        incident, events = self.incidents.incident(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        return incident, events

    def acknowledge(self, incident_id: str, author: str) -> Incident:
        """Record who took the incident; repeats stop, the announcing messages get edited at
        the next cycle. Acknowledging again is a no-op."""
        if not author.strip():
            raise Conflict("author is required")
        with self._lock:
            incident, _ = self.get(incident_id)
            if not incident.is_open:
                raise Conflict(f"{incident_id} is resolved")
            if incident.acknowledged_by is not None:
                return incident
            now = self.clock()
            event = Event(
                incident.id, incident.last_seq + 1, now, now, "acknowledged", incident.club,
                incident.app, incident.environment, incident.slo, incident.severity,
                f"acknowledged by {author.strip()}", {}, author.strip(),
            )  # fmt: skip
            self.incidents.append([event])
            return self.get(incident_id)[0]

    def note_gate_override(self, club: str, app: str, author: str, text: str) -> None:
        """Record a rollout gate override in the timeline of the app's open incidents."""
        with self._lock:
            now = self.clock()
            events = [
                Event(
                    i.id, i.last_seq + 1, now, now, "gate_override", i.club, i.app,
                    i.environment, i.slo, i.severity, text, {}, author,
                )
                for i in self.find(club=club, app=app)
                if i.is_open
            ]
            if events:
                self.incidents.append(events)

    # --- silences -------------------------------------------------------------------------

    def add_silence(
        self,
        *,
        club: str = "",
        app: str = "",
        slo: str = "",
        starts_at: datetime | None,
        ends_at: datetime,
        author: str,
        comment: str,
    ) -> Silence:
        """A new silence (``ValueError`` if invalid); applied from the next cycle."""
        now = self.clock()
        silence = new_silence(
            club=club, app=app, slo=slo, starts_at=starts_at or now, ends_at=ends_at,
            author=author, comment=comment, now=now,
        )  # fmt: skip
        return self.silences.add(silence)

    def list_silences(self, *, include_expired: bool = False) -> list[Silence]:
        now = self.clock()
        found = self.silences.all()
        return [s for s in found if include_expired or s.state(now) != "expired"]

    def expire_silence(self, silence_id: str) -> Silence:
        expired = self.silences.expire(silence_id, self.clock())
        if expired is None:
            raise NotFound(f"no silence {silence_id}")
        return expired
