"""The pages: login, incident list, incident (facts, timeline, SLI chart, actions).

Server-rendered with Jinja2 (autoescaped), no JavaScript. Forms are parsed from the urlencoded
body with the standard library. Every page but the login needs a token (cookie or bearer) and
every form post a CSRF token (:mod:`vigie.web.guard`, dependencies of :data:`router`): without a
token a page redirects to the login form; a captain sees and acts only on their club (403).
Language and time zone: see :mod:`vigie.web.common`. The report editor and the published
reports are in :mod:`vigie.web.editor`, the incident actions in :mod:`vigie.web.actions`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from vigie.api.auth import COOKIE, presented_token
from vigie.api.deps import ServicesDep, get_services
from vigie.incidents.impact import MINUTE, ceil_minute
from vigie.incidents.model import STATES, Incident
from vigie.incidents.silences import Silence
from vigie.reports import texts as report_texts
from vigie.reports import wording
from vigie.reports.model import DEFAULT_TIMEZONE, Facts, Locale
from vigie.reports.render import fact_rows, grafana_range, timeline
from vigie.reports.service import ReportService
from vigie.web import actions, editor, prefs
from vigie.web.chart import sli_chart
from vigie.web.common import (
    explicit_lang,
    form_of,
    page,
    principal_of,
    readable_incident,
    reader_locale,
    safe_next,
    service_of,
    when,
)
from vigie.web.guard import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    check_login_csrf,
    checked_form,
    login_csrf,
)
from vigie.web.texts import UI

# Every page but the login: a principal (else the login form), CSRF checks on posts.
router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])
router.include_router(actions.router)
router.include_router(editor.router)
login_router = APIRouter(include_in_schema=False)
LIST_SINCE = timedelta(days=90)
CHART_MARGIN = timedelta(minutes=60)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/incidents", status_code=303)


def _login_page(
    request: Request, next: str, status: int = 200, error: str | None = None
) -> Response:
    locale = explicit_lang(request) or "fr"
    token = login_csrf(request)
    response = page(request, "login.html.j2", locale, status, next=safe_next(next), error=error,
                    login_csrf=token, page_title=UI[locale]["login"])  # fmt: skip
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")  # fmt: skip
    return response


@login_router.get("/login")
def login_form(request: Request, next: str = "/incidents") -> Response:
    return _login_page(request, next)


@login_router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await form_of(request)
    await check_login_csrf(request, services, form.get(CSRF_FIELD, ""))
    token = form.get("token", "").strip()
    if services.tokens.lookup(token) is None:
        error = UI[explicit_lang(request) or "fr"]["bad_token"]
        return _login_page(request, form.get("next", ""), 401, error)
    response = RedirectResponse(safe_next(form.get("next", "")), status_code=303)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
        path="/",
    )  # fmt: skip
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/incidents")
def incident_list(request: Request, club: str = "", app: str = "", state: str = "") -> Response:
    service = service_of(request)
    principal = principal_of(request)
    if not principal.is_admin:
        club = principal.club
    locale = reader_locale(request)
    tz = service.timezone_of(principal.club) if principal.club else DEFAULT_TIMEZONE
    found = service.incidents.find(
        club=club or None, app=app or None, state=state if state in STATES else None,
        since=service.incidents.clock() - LIST_SINCE,
    )  # fmt: skip
    clubs = [c.id for c in service.incidents.config.alerts.clubs] if principal.is_admin else []
    return page(request, "incidents.html.j2", locale, tz=tz, incidents=found, clubs=clubs,
                states=STATES, filters={"club": club, "app": app, "state": state},
                page_title=UI[locale]["incidents"])  # fmt: skip


def _chart(service: ReportService, incident: Incident, facts: Facts, locale: Locale) -> Markup:
    """The SLI from an hour before the impact to an hour after it, never past the present."""
    slo = facts.incident.slos[0]
    now = ceil_minute(service.incidents.clock())
    start, end = facts.impact_start - CHART_MARGIN, min(facts.impact_end + CHART_MARGIN, now)
    end = max(end, start + MINUTE)
    minutes = service.sli_minutes(incident, slo, start, end + MINUTE)
    return Markup(sli_chart(
        minutes, start, end, (facts.impact_start, facts.impact_end), incident.opened_at,
        slo.error_budget, title=UI[locale]["chart"], description=UI[locale]["chart_desc"],
        tz=facts.incident.timezone, locale=locale,
    ))  # fmt: skip


def active_silence(service: ReportService, incident: Incident, now: datetime) -> Silence | None:
    hits = [s for s in service.incidents.list_silences()
            if s.matches(incident) and s.state(now) == "active"]  # fmt: skip
    return min(hits, key=lambda s: s.ends_at) if hits else None


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: str, done: str = "", error: str = "") -> Response:
    service = service_of(request)
    found = readable_incident(request, incident_id)
    if not isinstance(found, tuple):
        return found
    incident, principal = found
    locale = reader_locale(request)
    stored = service.get(incident_id)
    facts = stored.facts if stored is not None else service.facts(incident_id)
    tz = facts.incident.timezone
    names = service.club_names()
    rows = [
        (when(e.at, locale, tz), report_texts.event_label(locale, e.kind),
         wording.event_detail(locale, e, tz, names),
         e.args.get("state") in ("failed", "dead"))
        for e in timeline(facts, stored.notes if stored is not None else ())
    ]  # fmt: skip
    now = service.incidents.clock()
    silence = active_silence(service, incident, now) if incident.is_open else None
    ui = UI[locale]
    review = service.review(incident_id, locale) if stored is not None else None
    gate = get_services(request).gate
    gated = incident.is_open and gate.has_app(incident.club, incident.app)
    override = gate.overrides.active(incident.club, incident.app, now) if gated else None
    return page(
        request, "incident.html.j2", locale, tz=tz, incident=incident, review=review,
        fields=fact_rows(facts, locale), timeline=rows,
        chart=_chart(service, incident, facts, locale), grafana=grafana_range(facts),
        silence=silence, silence_until=when(silence.ends_at, locale, tz) if silence else "",
        durations=actions.DURATIONS, done=ui.get(f"done_{done}", ""),
        override_durations=actions.OVERRIDE_DURATIONS, gated=gated,
        override_until=when(override.ends_at, locale, tz) if override else "",
        error=ui.get(f"error_{error}", ""), can_act=principal.may(incident.club or None),
        page_title=f"{incident.id} — {incident.app or ui['whole_platform']}",
    )  # fmt: skip


@router.post("/language")
async def choose_language(request: Request) -> Response:
    """An admin's page language, kept for their token; captains read their club's."""
    principal = principal_of(request)
    form = await form_of(request)
    lang = form.get("lang", "")
    if principal.is_admin and lang in ("fr", "en"):
        service = service_of(request)
        prefs.choose(service.incidents.store, presented_token(request), lang,  # type: ignore[arg-type]
                     service.incidents.clock())  # fmt: skip
    return RedirectResponse(safe_next(form.get("next", "")), status_code=303)
