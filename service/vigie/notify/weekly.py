"""Weekly digests: measured from the store, sent on Monday morning, replayable for any week.

:meth:`WeeklyDigests.build` measures one week (Monday 00:00 to Monday 00:00 in each club's time
zone): each SLO evaluated at the end of the week (state, error budget left), the incidents that
overlap the week, the three most frequent errors of each app — a handful of batched queries per
club. A club without any app gets no digest; the admins get the platform summary.

:meth:`WeeklyDigests.after_evaluation` is called by the scheduler after every evaluation: from
Monday :data:`SEND_AT` (club time) until the end of that Monday, the previous week's digest of
each channel is submitted once. Keys are ``digest:<channel>:<monday>``, so the outbox ignores a
second submission after a restart and no channel gets the same week twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vigie.config import Config
from vigie.config.clubs import Club
from vigie.i18n import DEFAULT_TIMEZONE
from vigie.incidents.lines import Links
from vigie.incidents.routing import ADMIN_LOCALE
from vigie.incidents.store import IncidentStore
from vigie.notify.digest import Digest, WeekApp, WeekIncident, WeekSlo, to_json
from vigie.notify.notice import ADMINS, Notice, NoticeSink
from vigie.reports import queries
from vigie.slo.catalog import SloTarget, targets_from_files
from vigie.slo.evaluator import evaluate
from vigie.store import Store

log = logging.getLogger(__name__)

SEND_AT = time(8, 0)
TOP_ERRORS = 3


def week_of(moment: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The Monday-to-Monday week holding ``moment``, in ``timezone``."""
    zone = ZoneInfo(timezone)
    day = moment.astimezone(zone).date()
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), zone)
    return start, datetime.combine(monday + timedelta(days=7), time(0), zone)


def digest_key(channel: str, start: datetime) -> str:
    return f"digest:{channel}:{start.date().isoformat()}"


class WeeklyDigests:
    def __init__(
        self,
        store: Store,
        config: Config,
        links: Links,
        clock: Callable[[], datetime],
        sink: NoticeSink | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._links = links
        self._clock = clock
        self._sink = sink
        self._targets = targets_from_files(config.slo_files)
        self._submitted: set[str] = set()

    # -- scheduling ---------------------------------------------------------------------------

    def after_evaluation(self) -> list[Notice]:
        """Submit the digests due now (Monday morning, per channel's time zone), once each."""
        now = self._clock()
        due: dict[date, dict[str, str]] = {}  # Monday of the last week → channel → key
        for channel, timezone in self._channels():
            local = now.astimezone(ZoneInfo(timezone))
            if local.weekday() != 0 or local.time() < SEND_AT:
                continue
            start, _ = week_of(now - timedelta(days=7), timezone)
            if (key := digest_key(channel, start)) not in self._submitted:
                due.setdefault(start.date(), {})[channel] = key
        if not due or self._sink is None:
            return []
        notices: list[Notice] = []
        for monday, channels in due.items():
            only = next(iter(channels)) if len(channels) == 1 else None
            notices += [n for n in self.build(monday, only=only) if n.channel in channels]
        self._sink.submit(notices)
        self._submitted |= {key for channels in due.values() for key in channels.values()}
        return notices

    def _channels(self) -> list[tuple[str, str]]:
        clubs = {t.club for t in self._targets}
        out = [(c.id, c.timezone) for c in self._config.clubs if c.id in clubs]
        return [*out, (ADMINS, DEFAULT_TIMEZONE)] if out else out

    # -- building -----------------------------------------------------------------------------

    def build(self, monday: date, *, only: str | None = None) -> list[Notice]:
        """The digests of the week starting on ``monday`` (clubs with apps, then the admins');
        ``only``: one channel's."""
        notices: list[Notice] = []
        admin_apps: list[WeekApp] = []
        for club in self._config.clubs:
            targets = [t for t in self._targets if t.club == club.id]
            if not targets or only not in (None, club.id, ADMINS):
                continue
            start, end = week_of(_noon(monday, club.timezone), club.timezone)
            digest = self.measure(club, targets, start, end)
            admin_apps += digest.apps
            if only in (None, club.id):
                notices.append(self._notice(club.id, club.locale, club.timezone, digest))
        if admin_apps and only in (None, ADMINS):
            start, end = week_of(_noon(monday, DEFAULT_TIMEZONE), DEFAULT_TIMEZONE)
            summary = Digest(start, end, "", "", tuple(admin_apps))
            notices.append(self._notice(ADMINS, ADMIN_LOCALE, DEFAULT_TIMEZONE, summary))
        return notices

    def _notice(self, channel: str, locale: str, timezone: str, digest: Digest) -> Notice:
        return Notice(
            key=digest_key(channel, digest.start),
            channel=channel,
            locale="en" if locale == "en" else "fr",
            kind="digest",
            lines=(),
            created_at=self._clock(),
            extra={"digest": to_json(digest)},
            timezone=timezone,
        )

    def measure(
        self, club: Club, targets: list[SloTarget], start: datetime, end: datetime
    ) -> Digest:
        at = min(end, self._clock()).astimezone(UTC)
        statuses = evaluate(self._store, targets, at).statuses
        incidents = [
            i
            for i in IncidentStore(self._store).incidents(club=club.id, since=start)
            if i.since < end and (i.resolved_at is None or i.resolved_at >= start)
        ]
        apps: list[WeekApp] = []
        for app in dict.fromkeys(t.app for t in targets):
            slos = tuple(
                WeekSlo(s.target.slo.name, s.decision.state, s.decision.budget_remaining)
                for s in statuses
                if s.target.app == app
            )
            mine = sorted((i for i in incidents if i.app == app), key=lambda i: i.since)
            week = tuple(
                WeekIncident(
                    i.id, i.slo, i.severity, i.since, i.resolved_at, self._links.incident(i.id)
                )
                for i in mine
            )
            errors = queries.error_messages(self._store, app, start, end, limit=TOP_ERRORS)
            apps.append(
                WeekApp(
                    club=club.id,
                    club_name=club.name,
                    app=app,
                    slos=slos,
                    incidents=week,
                    top_errors=tuple((" ".join(e.name.split()), e.count) for e in errors),
                    dashboard_url=self._links.dashboard(club.id, app, start, end),
                )
            )
        return Digest(start, end, club.id, club.name, tuple(apps))


def _noon(day: date, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """Midday of ``day`` in ``timezone``: inside that day whatever the DST change."""
    return datetime.combine(day, time(12), ZoneInfo(timezone))
