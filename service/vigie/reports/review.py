"""The review process of a report: an owner from the start, then draft → in review → published.

Stored append-only in ``vigie_report_reviews`` (m0065): one row per change, the latest row is
the report's state, every earlier row says who did what and when. The rules (pure, in
:func:`next_state`): a reviewer must be named to ask for review; only a report in review can be
published, by its reviewer or an admin; the version published is the one exported. Editing a
published report is allowed (a new version) and does not change what was published.

The owner is set when the draft is created: the club's captains (``@captains``) or, for an
incident without a club, the platform admins (``@admins``); whoever takes it over from the
report page becomes the owner by their token's label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from vigie.reports import texts
from vigie.reports.model import Locale
from vigie.reports.wording import of_name
from vigie.store import Store

TABLE = "vigie_report_reviews"
_COLUMNS = ("incident_id", "club", "at", "status", "actor", "owner", "reviewer", "version")
CAPTAINS = "@captains"
ADMINS = "@admins"
Status = Literal["draft", "in_review", "published"]
Action = Literal["claim", "submit", "publish"]
_TICK = timedelta(microseconds=1)


class ReviewError(ValueError):
    """A change the process does not allow (the message says why, in English for logs; the
    pages show :attr:`key` translated)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class ReviewState:
    incident_id: str
    club: str
    at: datetime
    status: Status
    actor: str
    owner: str
    reviewer: str
    version: int  # the published version (0 before publication)


def first_state(incident_id: str, club: str, now: datetime) -> ReviewState:
    owner = CAPTAINS if club else ADMINS
    return ReviewState(incident_id, club, now, "draft", "vigie", owner, "", 0)


def next_state(
    current: ReviewState,
    action: Action,
    *,
    actor: str,
    is_admin: bool,
    now: datetime,
    reviewer: str = "",
    version: int = 0,
) -> ReviewState:
    """The state after ``action`` by ``actor``; :class:`ReviewError` when it is not allowed."""
    moved = replace(current, at=now, actor=actor)
    if action == "claim":
        return replace(moved, owner=actor)
    if action == "submit":
        if not reviewer.strip():
            raise ReviewError("need_reviewer", "name a reviewer to ask for a review")
        if current.status == "published":
            raise ReviewError("already_published", "the report is already published")
        return replace(moved, status="in_review", reviewer=reviewer.strip())
    if current.status != "in_review":
        raise ReviewError("not_in_review", "only a report in review can be published")
    if not (is_admin or actor == current.reviewer):
        raise ReviewError("not_reviewer", "only the reviewer or an admin may publish")
    return replace(moved, status="published", version=version)


def owner_label(locale: Locale, owner: str, club_name: str) -> str:
    if owner == CAPTAINS:
        return texts.t(locale, "captains_of", of_club=of_name(locale, club_name))
    return texts.t(locale, "admins") if owner == ADMINS else owner


class ReviewStore:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.clock = clock

    def current(self, incident_id: str) -> ReviewState | None:
        found = self._latest("incident_id = {id:String}", {"id": incident_id})
        return found[0] if found else None

    def record(self, state: ReviewState) -> ReviewState:
        """Append ``state``; its time made later than the current row's, so that the latest row
        is well defined even when the clock stands still (tests, replays)."""
        current = self.current(state.incident_id)
        if current is not None and state.at <= current.at:
            state = replace(state, at=current.at + _TICK)
        row = [getattr(state, c) for c in _COLUMNS]
        self.store.insert(TABLE, _COLUMNS, [row])
        return state

    def published(self, club: str | None) -> list[ReviewState]:
        """Published reports, newest first; ``club`` None: every club."""
        where = "1" if club is None else "club = {club:String}"
        found = self._latest(where, {"club": club or ""})
        return [s for s in found if s.status == "published"]

    def all_latest(self) -> list[ReviewState]:
        return self._latest("1", {})

    def _latest(self, where: str, params: dict[str, Any]) -> list[ReviewState]:
        cols = ", ".join(f"argMax({c}, at)" for c in _COLUMNS[1:])
        result = self.store.query(
            f"SELECT incident_id, {cols} FROM {TABLE} WHERE {where} "
            "GROUP BY incident_id ORDER BY max(at) DESC",
            params,
        )
        return [_state(row) for row in result.rows]


def _state(row: Sequence[Any]) -> ReviewState:
    inc, club, at, status, actor, owner, reviewer, version = row
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return ReviewState(inc, club, at, status, actor, owner, reviewer, int(version))
