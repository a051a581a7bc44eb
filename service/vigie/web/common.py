"""What every page shares: templates, the reader's language and time zone, guards, forms.

The reader's language: ``?lang=`` when given; a captain reads their club's locale; an admin the
language chosen for their token (:mod:`vigie.web.prefs`), French until they choose. Times are
shown in the club's time zone of what the page is about (the captain's club for the list, the
default zone for an admin's list), with UTC on hover.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from vigie.access.tokens import Principal
from vigie.api.auth import presented_token
from vigie.api.deps import get_services
from vigie.incidents.model import Incident
from vigie.incidents.service import NotFound
from vigie.reports import texts as report_texts
from vigie.reports import wording
from vigie.reports.model import DEFAULT_TIMEZONE, Locale
from vigie.reports.service import ReportService
from vigie.web import prefs
from vigie.web.guard import CSRF_FIELD, form_fields
from vigie.web.texts import UI

env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["j2", "html"]),
)


def service_of(request: Request) -> ReportService:
    """The report service (503 until the services exist)."""
    return get_services(request).reports


def principal_of(request: Request) -> Principal:
    """The principal :func:`vigie.web.guard.checked_form` let through (pages only)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a page outside the guarded router: a programming error
        raise HTTPException(401, "a valid token is required")
    return principal


def when(value: datetime | None, locale: Locale, tz: str) -> Markup:
    """A ``<time>`` in the zone ``tz``, its UTC time on hover."""
    if value is None:
        return Markup(escape(report_texts.t(locale, "na")))
    local, utc = report_texts.local_moment(value, tz)
    return Markup(
        f'<time datetime="{escape(value.isoformat())}" title="{escape(utc)}">{escape(local)}</time>'
    )


def page(
    request: Request,
    template: str,
    locale: Locale,
    status: int = 200,
    *,
    tz: str = DEFAULT_TIMEZONE,
    **values: Any,
) -> HTMLResponse:
    try:
        names = service_of(request).club_names()
    except HTTPException:  # the login form while the store is not reachable yet
        names = {}
    html = env.get_template(template).render(
        locale=locale,
        ui=UI[locale],
        tz=tz,
        principal=getattr(request.state, "principal", None),
        csrf_field=CSRF_FIELD,
        csrf=getattr(request.state, "csrf", ""),
        when=lambda v: when(v, locale, tz),
        state_label=lambda s: report_texts.state_label(locale, s),
        event_label=lambda k: report_texts.event_label(locale, k),
        slo_label=lambda s: wording.slo_label(locale, s),
        severity_label=lambda s: wording.severity_label(locale, s),
        status_label=lambda s: report_texts.t(locale, f"status_{s}"),
        club_name=lambda c: names.get(c, c),
        request_path=request.url.path,
        **values,
    )
    return HTMLResponse(html, status_code=status)


def explicit_lang(request: Request) -> Locale | None:
    lang = request.query_params.get("lang")
    return lang if lang in ("fr", "en") else None  # type: ignore[return-value]


def reader_locale(request: Request) -> Locale:
    """The language of the signed-in reader (see the module docstring)."""
    chosen = explicit_lang(request)
    if chosen is not None:
        return chosen
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return "fr"
    if not principal.is_admin:
        return service_of(request).locale_of(principal.club)
    store = service_of(request).incidents.store
    return prefs.locale_of(store, presented_token(request)) or "fr"


def error_page(request: Request, code: int, key: str) -> HTMLResponse:
    locale = reader_locale(request)
    return page(request, "error.html.j2", locale, code, code=code, message=UI[locale][key],
                page_title=UI[locale]["error"])  # fmt: skip


def guard(request: Request, club: str | None) -> Principal | Response:
    """The principal, or the 403 page (in the reader's language) when it may not act on
    ``club`` (None: every club, admins only)."""
    principal = principal_of(request)
    return principal if principal.may(club) else error_page(request, 403, "forbidden")


def find_incident(request: Request, incident_id: str) -> Incident | Response:
    """The incident, or the response to send instead: login redirect; for an unknown id a 404
    for admins and a 403 for captains (who must not learn which ids exist). Whether the
    principal may read it is the caller's check."""
    try:
        incident, _ = service_of(request).incidents.get(incident_id)
    except NotFound:
        guarded = guard(request, None)
        if not isinstance(guarded, Principal):
            return guarded
        return error_page(request, 404, "not_found")
    return incident


def readable_incident(request: Request, incident_id: str) -> tuple[Incident, Principal] | Response:
    incident = find_incident(request, incident_id)
    if not isinstance(incident, Incident):
        return incident
    guarded = guard(request, incident.club or None)
    if not isinstance(guarded, Principal):
        return guarded
    return incident, guarded


async def form_of(request: Request) -> dict[str, str]:
    return await form_fields(request)


def author_of(principal: Principal) -> str:
    return principal.label or (principal.club or principal.role)


def safe_next(target: str) -> str:
    # Only local paths: never an open redirect to another site.
    return target if target.startswith("/") and not target.startswith("//") else "/incidents"
