"""What the API, the pages, the CLI and the incident pipeline call: :class:`ReportService`.

Generation "within seconds of resolve": after each incident cycle, the caller hands the
:class:`~vigie.incidents.pipeline.CycleOutcome` to :meth:`ReportService.after_cycle`, which
drafts a report for every incident the cycle resolved (once: an existing report is kept) and
submits ``report_ready`` notices for the club channel and the admins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from vigie.errors import VigieError
from vigie.incidents.lines import incident_line
from vigie.incidents.model import Incident
from vigie.incidents.pipeline import CycleOutcome
from vigie.incidents.service import IncidentService, NotFound
from vigie.ingest.scrub import PiiPatterns, load_patterns
from vigie.notify.notice import ADMINS, Notice
from vigie.notify.outbox import Outbox
from vigie.reports.adapter import to_record
from vigie.reports.facts import gather
from vigie.reports.model import (
    DEFAULT_TIMEZONE,
    Facts,
    Locale,
    ReportKind,
    ReportVersion,
    SloInfo,
    TimelineEntry,
)
from vigie.reports.queries import Minute, Scope, sli_minutes
from vigie.reports.render import Review
from vigie.reports.review import (
    Action,
    ReviewState,
    ReviewStore,
    first_state,
    next_state,
    owner_label,
)
from vigie.reports.store import ReportStore

log = logging.getLogger(__name__)

GENERATOR = "vigie"
ADMIN_LOCALE: Locale = "fr"


class ReportService:
    def __init__(self, incidents: IncidentService, *, pii: PiiPatterns | None = None) -> None:
        self.incidents = incidents
        self.store = ReportStore(incidents.store, incidents.clock)
        self.reviews = ReviewStore(incidents.store, incidents.clock)
        self._pii = pii

    @property
    def pii(self) -> PiiPatterns:
        if self._pii is None:
            self._pii = load_patterns()
        return self._pii

    def timezone_of(self, club: str) -> str:
        try:
            return self.incidents.config.alerts.club(club).timezone
        except KeyError:
            return DEFAULT_TIMEZONE

    def club_names(self) -> dict[str, str]:
        return {c.id: c.name for c in self.incidents.config.alerts.clubs}

    def locale_of(self, club: str) -> Locale:
        try:
            return self.incidents.config.alerts.club(club).locale
        except KeyError:
            return ADMIN_LOCALE

    def facts(self, incident_id: str, *, kind: ReportKind = "standard") -> Facts:
        """Measure the facts now (``NotFound`` for an unknown incident)."""
        incident, events = self.incidents.get(incident_id)
        told = self.incidents.incidents.told_about([incident_id])
        outbox = Outbox(self.incidents.store, self.incidents.clock)
        delivered = outbox.states([t.key for t in told]) if told else {}
        record = to_record(self.incidents.config, incident, events, told, delivered)
        return gather(
            self.incidents.store,
            record,
            self.incidents.clock(),
            self.incidents.links,
            pii=self.pii if kind == "security" else None,
        )

    def sli_minutes(self, incident: Incident, slo: SloInfo, start: datetime, end: datetime
                    ) -> list[Minute]:  # fmt: skip
        """The incident's SLI per minute over ``[start, end)`` (the pages' chart)."""
        scope = Scope(incident.app, incident.environment, slo)
        return sli_minutes(self.incidents.store, scope, start, end)

    def draft(self, incident_id: str, *, kind: ReportKind = "standard") -> ReportVersion:
        """A fresh draft (version 1), not stored."""
        facts = self.facts(incident_id, kind=kind)
        return ReportVersion(
            incident_id=incident_id,
            version=1,
            kind=kind,
            locale=self.locale_of(facts.incident.club),
            author=GENERATOR,
            created_at=self.incidents.clock(),
            facts=facts,
            sections={},
            action_items=(),
        )

    def get(self, incident_id: str) -> ReportVersion | None:
        return self.store.latest(incident_id)

    def get_or_create(self, incident_id: str, *, kind: ReportKind = "standard") -> ReportVersion:
        """The stored report; a new draft stored as version 1 when there is none."""
        return self.store.latest(incident_id) or self._create(self.draft(incident_id, kind=kind))

    def _create(self, draft: ReportVersion) -> ReportVersion:
        """Store a draft as version 1 and assign its owner (once)."""
        version = self.store.create(draft)
        if self.reviews.current(draft.incident_id) is None:
            club = draft.facts.incident.club
            self.reviews.record(first_state(draft.incident_id, club, self.incidents.clock()))
        return version

    def save(
        self,
        incident_id: str,
        based_on: int,
        author: str,
        sections: Mapping[str, str],
        action_items: Sequence[Mapping[str, str]],
        notes: Sequence[TimelineEntry] | None = None,
    ) -> ReportVersion:
        """Append an edit (:class:`~vigie.reports.store.StaleVersion` if ``based_on`` is old)."""
        return self.store.save(incident_id, based_on, author, sections, action_items,
                               notes=notes)  # fmt: skip

    # --- review ---------------------------------------------------------------------------

    def review(self, incident_id: str, locale: Locale) -> Review | None:
        """The report's review state for a reader (owner in words, authors from the versions)."""
        state = self.reviews.current(incident_id)
        if state is None:
            return None
        authors = sorted({a for _, a, _ in self.store.history(incident_id) if a != GENERATOR})
        club = self.club_names().get(state.club, state.club)
        return Review(
            status=state.status, actor=state.actor, at=state.at,
            owner=owner_label(locale, state.owner, club), reviewer=state.reviewer,
            authors=tuple(authors), published_version=state.version,
        )  # fmt: skip

    def act(
        self, incident_id: str, action: Action, *, actor: str, is_admin: bool, reviewer: str = ""
    ) -> ReviewState:
        """Claim, ask for review or publish (:class:`~vigie.reports.review.ReviewError`)."""
        current = self.get_or_create(incident_id)
        state = self.reviews.current(incident_id)
        if state is None:  # a report stored before reviews existed
            state = first_state(incident_id, current.facts.incident.club, current.created_at)
        new = next_state(
            state, action, actor=actor, is_admin=is_admin, now=self.incidents.clock(),
            reviewer=reviewer, version=current.version,
        )  # fmt: skip
        return self.reviews.record(new)

    def published(self, club: str | None) -> list[tuple[ReviewState, ReportVersion]]:
        """Published reports (the version published) of ``club`` (None: all), newest first."""
        found = []
        for state in self.reviews.published(club):
            version = self.store.version(state.incident_id, state.version)
            if version is not None:
                found.append((state, version))
        return found

    def reminders(self, now: datetime) -> list[Notice]:
        """``report_ready`` again, once a period, for drafts nobody wrote in since
        ``report_reminder_after``; nothing without a delivery to submit them to (CLI)."""
        delivery = self.incidents.delivery
        if delivery is None:
            return []
        after = self.incidents.config.alerts.report_reminder_after
        due = [s for s in self.reviews.all_latest()
               if s.status == "draft" and s.club and now - s.at >= after]  # fmt: skip
        written = self.store.written([s.incident_id for s in due])
        notices: list[Notice] = []
        for state in due:
            if state.incident_id in written:
                continue
            try:
                incident, _ = self.incidents.get(state.incident_id)
            except NotFound:
                continue
            notices += [
                replace(n, key=f"report_reminder:{incident.id}:{now:%Y%m%dT%H%M}:{n.channel}",
                        extra={**n.extra, "reminder_days": str(after.days)})
                for n in self.ready_notices(incident, now)
            ]  # fmt: skip
            # the next reminder, if still nothing is written, comes one period later
            self.reviews.record(replace(state, at=now))
        if notices:
            delivery.submit(notices)
        return notices

    # --- after each incident cycle --------------------------------------------------------

    def after_cycle(self, outcome: CycleOutcome | None) -> list[ReportVersion]:
        """Draft the reports of the incidents ``outcome`` resolved and announce them. Never
        raises (the edge of a scheduled job): a failure is logged, and that incident gets its
        draft on demand (page, API or ``vigie report``)."""
        if outcome is None or outcome.dry_run:
            return []
        resolved = sorted({e.incident_id for e in outcome.events if e.kind == "resolved"})
        done: list[ReportVersion] = []
        for incident_id in resolved:
            try:
                done += self.on_incident_resolved(incident_id)
            except (VigieError, NotFound) as exc:
                log.warning("report draft of %s failed: %s", incident_id, exc)
            except Exception:  # the edge of a scheduled job: the other drafts still happen
                log.exception("report draft of %s failed unexpectedly", incident_id)
        try:
            self.reminders(self.incidents.clock())
        except Exception:  # the edge of a scheduled job
            log.exception("report reminders failed")
        return done

    def on_incident_resolved(self, incident_id: str) -> list[ReportVersion]:
        """Draft and announce one resolved incident's report. A report opened before the
        resolution (or before a re-opening resolved again) gets a version with the facts
        measured now, its human text kept; a report already measured at this resolution: none."""
        incident, _ = self.incidents.get(incident_id)
        if incident.resolved_at is None:
            return []
        current = self.store.latest(incident_id)
        if current is None:
            version = self._create(self.draft(incident_id))
        elif current.facts.incident.resolved_at != incident.resolved_at:
            facts = self.facts(incident_id, kind=current.kind)
            version = self.store.refresh_facts(incident_id, facts, GENERATOR)
        else:
            return []
        delivery = self.incidents.delivery
        if delivery is not None:
            delivery.submit(self.ready_notices(incident, self.incidents.clock()))
        return [version]

    def report_url(self, incident_id: str) -> str:
        return f"{self.incidents.links.incident(incident_id)}/report"

    def ready_notices(self, incident: Incident, now: datetime) -> list[Notice]:
        """``report_ready`` for the club's channel (its locale) and the admins."""
        line = incident_line(incident, self.incidents.links)
        resolved = incident.resolved_at.isoformat() if incident.resolved_at else "open"
        channels: list[tuple[str, Locale]] = [(ADMINS, ADMIN_LOCALE)]
        if incident.club:
            channels.insert(0, (incident.club, self.locale_of(incident.club)))
        return [
            Notice(
                key=f"report_ready:{incident.id}:{resolved}:{channel}",
                channel=channel,
                locale=locale,
                kind="report_ready",
                lines=(line,),
                created_at=now,
                extra={"url": self.report_url(incident.id)},
            )
            for channel, locale in channels
        ]
