"""The pages: login, incident list, incident (facts, timeline, SLI chart), report editor.

Server-rendered with Jinja2 (autoescaped), no JavaScript. Forms are parsed from the urlencoded
body with the standard library. Every page but the login needs a token (cookie or bearer) and
every form post a CSRF token (:mod:`vigie.web.guard`, dependencies of :data:`router`): without a
token a page redirects to the login form; a captain sees and edits only their club (403).
Pages are in the club's locale (the list: the captain's club, French for admins; ``?lang=``
overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from vigie.access.tokens import Principal
from vigie.api.auth import COOKIE
from vigie.api.deps import ReportsDep, ServicesDep
from vigie.incidents.model import STATES, Incident
from vigie.incidents.service import NotFound
from vigie.reports import texts as report_texts
from vigie.reports.facts import MINUTE
from vigie.reports.model import ACTION_FIELDS, SECTIONS, Locale, ReportVersion
from vigie.reports.render import fact_rows, render_markdown, title
from vigie.reports.service import ReportService
from vigie.reports.store import StaleVersion, clean_items
from vigie.web.chart import sli_chart
from vigie.web.guard import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    check_login_csrf,
    checked_form,
    form_fields,
    login_csrf,
)
from vigie.web.texts import UI

# Every page but the login: a principal (else the login form), CSRF checks on posts.
router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])
login_router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["j2", "html"]),
)
LIST_SINCE = timedelta(days=90)
CHART_MARGIN = timedelta(minutes=60)
BLANK_ACTION_ROWS = 2


def _page(
    request: Request, template: str, locale: Locale, status: int = 200, **values: Any
) -> HTMLResponse:
    html = _env.get_template(template).render(
        locale=locale,
        ui=UI[locale],
        principal=getattr(request.state, "principal", None),
        csrf_field=CSRF_FIELD,
        csrf=getattr(request.state, "csrf", ""),
        moment=lambda v: report_texts.moment(v, locale),
        state_label=lambda s: report_texts.state_label(locale, s),
        event_label=lambda k: report_texts.event_label(locale, k),
        **values,
    )
    return HTMLResponse(html, status_code=status)


def _lang(request: Request, default: Locale) -> Locale:
    lang = request.query_params.get("lang")
    return lang if lang in ("fr", "en") else default  # type: ignore[return-value]


def _principal(request: Request) -> Principal:
    """The principal :func:`vigie.web.guard.checked_form` let through."""
    principal: Principal = request.state.principal
    return principal


def _guard(request: Request, club: str | None, locale: Locale) -> Principal | Response:
    """The principal, or the 403 page when it may not see ``club``."""
    principal = _principal(request)
    if principal.may(club):
        return principal
    return _page(request, "error.html.j2", locale, 403, code=403,
                 message=UI[locale]["forbidden"], page_title=UI[locale]["error"])  # fmt: skip


def _safe_next(target: str) -> str:
    # Only local paths: never an open redirect to another site.
    return target if target.startswith("/") and not target.startswith("//") else "/incidents"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/incidents", status_code=303)


def _login_page(
    request: Request, next: str, status: int = 200, error: str | None = None
) -> Response:
    locale = _lang(request, "fr")
    token = login_csrf(request)
    response = _page(request, "login.html.j2", locale, status, next=_safe_next(next), error=error,
                     login_csrf=token, page_title=UI[locale]["login"])  # fmt: skip
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")  # fmt: skip
    return response


@login_router.get("/login")
def login_form(request: Request, next: str = "/incidents") -> Response:
    return _login_page(request, next)


@login_router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await form_fields(request)
    await check_login_csrf(request, services, form.get(CSRF_FIELD, ""))
    token = form.get("token", "").strip()
    if services.tokens.lookup(token) is None:
        error = UI[_lang(request, "fr")]["bad_token"]
        return _login_page(request, form.get("next", ""), 401, error)
    response = RedirectResponse(_safe_next(form.get("next", "")), status_code=303)
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
def incident_list(
    request: Request, service: ReportsDep, club: str = "", app: str = "", state: str = ""
) -> Response:
    principal = _principal(request)
    if not principal.is_admin:
        club = principal.club
    locale = _lang(request, service.locale_of(principal.club) if principal.club else "fr")
    found = service.incidents.find(
        club=club or None, app=app or None, state=state if state in STATES else None,
        since=service.incidents.clock() - LIST_SINCE,
    )  # fmt: skip
    clubs = [c.id for c in service.incidents.config.clubs] if principal.is_admin else []
    return _page(request, "incidents.html.j2", locale, incidents=found, clubs=clubs,
                 states=STATES, filters={"club": club, "app": app, "state": state},
                 page_title=UI[locale]["incidents"])  # fmt: skip


def _not_found(request: Request, locale: Locale) -> Response:
    """404 for admins; for a captain the 403 of another club's incident, so that captains do not
    learn which incident ids exist."""
    guarded = _guard(request, None, locale)
    if not isinstance(guarded, Principal):
        return guarded
    return _page(request, "error.html.j2", locale, 404, code=404,
                 message=UI[locale]["not_found"], page_title=UI[locale]["error"])  # fmt: skip


def _incident(request: Request, service: ReportService, incident_id: str) -> Incident | Response:
    """The incident, or the response to send instead (unknown id: see :func:`_not_found`).
    Whether the principal may read it is the caller's check."""
    try:
        incident, _ = service.incidents.get(incident_id)
    except NotFound:
        return _not_found(request, _lang(request, "fr"))
    return incident


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, service: ReportsDep, incident_id: str) -> Response:
    incident = _incident(request, service, incident_id)
    if not isinstance(incident, Incident):
        return incident
    locale = _lang(request, service.locale_of(incident.club))
    guarded = _guard(request, incident.club or None, locale)
    if not isinstance(guarded, Principal):
        return guarded
    stored = service.get(incident_id)
    facts = stored.facts if stored is not None else service.facts(incident_id)
    slo = facts.incident.slos[0]
    start, end = facts.impact_start - CHART_MARGIN, facts.impact_end + CHART_MARGIN
    minutes = service.sli_minutes(incident, slo, start, end + MINUTE)
    chart = sli_chart(
        minutes, start, end, (facts.impact_start, facts.impact_end), incident.opened_at,
        slo.error_budget, title=UI[locale]["chart"], description=UI[locale]["chart_desc"],
    )  # fmt: skip
    return _page(request, "incident.html.j2", locale, incident=incident,
                 fields=fact_rows(facts, locale), timeline=facts.timeline, chart=Markup(chart),
                 page_title=f"{incident.id} — {incident.app}")  # fmt: skip


def _editor(
    request: Request,
    version: ReportVersion,
    history: list[Any],
    *,
    status: int = 200,
    saved: str = "",
    conflict: str = "",
    preview: str = "",
) -> HTMLResponse:
    locale = version.locale
    sections = [
        {"name": n, "label": report_texts.t(locale, n),
         "prompt": report_texts.t(locale, f"{n}_prompt"), "text": version.sections.get(n, "")}
        for n in SECTIONS[version.kind]
    ]  # fmt: skip
    labels = {"action": "action", "type": "action_type", "owner": "owner", "due": "due",
              "link": "link"}  # fmt: skip
    action_labels = [(f, report_texts.t(locale, labels[f])) for f in ACTION_FIELDS]
    items = [*version.action_items, *({} for _ in range(BLANK_ACTION_ROWS))]
    return _page(request, "report.html.j2", locale, status, report_title=title(version),
                 incident_id=version.incident_id, version=version.version,
                 fields=fact_rows(version.facts, locale), sections=sections,
                 action_labels=action_labels, action_items=items, history=history,
                 saved=saved, conflict=conflict, preview=preview,
                 page_title=title(version))  # fmt: skip


def _report_reader(
    request: Request, service: ReportService, incident_id: str
) -> Principal | Response:
    """The principal allowed to read the incident's report, or the response to send instead
    (404, 403 in the club's locale)."""
    incident = _incident(request, service, incident_id)
    if not isinstance(incident, Incident):
        return incident
    return _guard(request, incident.club or None, service.locale_of(incident.club))


@router.get("/incidents/{incident_id}/report")
def report_page(
    request: Request, service: ReportsDep, incident_id: str, saved: int = 0
) -> Response:
    guarded = _report_reader(request, service, incident_id)
    if not isinstance(guarded, Principal):
        return guarded
    version = service.get_or_create(incident_id)
    message = UI[version.locale]["saved"].format(version=saved) if saved else ""
    return _editor(request, version, service.store.history(incident_id), saved=message)


def _edits(form: Mapping[str, str], kind: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    sections = {n: form.get(f"section_{n}", "") for n in SECTIONS[kind]}
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        parts = key.split("_", 2)
        if (
            len(parts) == 3
            and parts[0] == "action"
            and parts[1].isdigit()
            and (parts[2] in ACTION_FIELDS)
        ):
            rows.setdefault(int(parts[1]), {})[parts[2]] = value
    return sections, [rows[n] for n in sorted(rows)]


@router.post("/incidents/{incident_id}/report")
async def report_save(request: Request, service: ReportsDep, incident_id: str) -> Response:
    guarded = _report_reader(request, service, incident_id)
    if not isinstance(guarded, Principal):
        return guarded
    form = await form_fields(request)
    current = service.get_or_create(incident_id)
    sections, items = _edits(form, current.kind)
    based_on = int(form["version"]) if form.get("version", "").isdigit() else 0
    history = service.store.history(incident_id)
    if form.get("intent") == "preview":
        draft = _edited(current, based_on, sections, items)
        return _editor(request, draft, history, preview=render_markdown(draft))
    author = guarded.label or (guarded.club or guarded.role)
    try:
        saved = service.save(incident_id, based_on, author, sections, items)
    except StaleVersion as exc:
        message = UI[current.locale]["conflict"].format(latest=exc.latest, based_on=exc.based_on)
        draft = _edited(current, based_on, sections, items)
        return _editor(request, draft, history, status=409, conflict=message)
    return RedirectResponse(
        f"/incidents/{quote(incident_id)}/report?saved={saved.version}", status_code=303
    )


def _edited(
    current: ReportVersion, based_on: int, sections: dict[str, str], items: list[dict[str, str]]
) -> ReportVersion:
    """The form's content over ``current`` (what the user sees again: preview or conflict)."""
    return replace(current, version=based_on, sections=sections, action_items=clean_items(items))
