"""The pages: login, incident list, incident (facts, timeline, SLI chart), report editor.

Server-rendered with Jinja2 (autoescaped), no JavaScript. Forms are parsed from the urlencoded
body with the standard library. Every page but the login needs a token (cookie or bearer):
without one it redirects to the login form; a captain sees and edits only their club (403).
Pages are in the club's locale (the list: the captain's club, French for admins; ``?lang=``
overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from vigie.api.state import running
from vigie.incidents.model import STATES, Incident
from vigie.incidents.service import NotFound
from vigie.reports import texts as report_texts
from vigie.reports.facts import MINUTE
from vigie.reports.model import ACTION_FIELDS, SECTIONS, Locale, ReportVersion
from vigie.reports.queries import Scope, sli_minutes
from vigie.reports.render import fact_rows, render_markdown, title
from vigie.reports.service import ReportService
from vigie.reports.store import StaleVersion, clean_items
from vigie.web.auth import COOKIE, Principal, authorize, principal_of
from vigie.web.chart import sli_chart
from vigie.web.texts import UI

router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["j2", "html"]),
)
LIST_SINCE = timedelta(days=90)
CHART_MARGIN = timedelta(minutes=60)
BLANK_ACTION_ROWS = 2
MAX_FORM_BYTES = 512 * 1024


def _service(request: Request) -> ReportService:
    return running(request, "reports", ReportService, "report service")


def _page(
    request: Request, template: str, locale: Locale, status: int = 200, **values: Any
) -> HTMLResponse:
    html = _env.get_template(template).render(
        locale=locale,
        ui=UI[locale],
        principal=getattr(request.state, "principal", None),
        moment=lambda v: report_texts.moment(v, locale),
        state_label=lambda s: report_texts.state_label(locale, s),
        event_label=lambda k: report_texts.event_label(locale, k),
        **values,
    )
    return HTMLResponse(html, status_code=status)


def _lang(request: Request, default: Locale) -> Locale:
    lang = request.query_params.get("lang")
    return lang if lang in ("fr", "en") else default  # type: ignore[return-value]


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _guard(request: Request, club: str | None, locale: Locale) -> Principal | Response:
    """The principal, or the response to send instead (login redirect, 403 page)."""
    if principal_of(request) is None:
        return _login_redirect(request)
    try:
        return authorize(request, "read", club)
    except HTTPException:
        return _page(request, "error.html.j2", locale, 403, code=403,
                     message=UI[locale]["forbidden"], page_title=UI[locale]["error"])  # fmt: skip


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}


def _safe_next(target: str) -> str:
    # Only local paths: never an open redirect to another site.
    return target if target.startswith("/") and not target.startswith("//") else "/incidents"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/incidents", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/incidents") -> HTMLResponse:
    locale = _lang(request, "fr")
    return _page(request, "login.html.j2", locale, next=_safe_next(next), error=None,
                 page_title=UI[locale]["login"])  # fmt: skip


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    locale = _lang(request, "fr")
    token = form.get("token", "").strip()
    tokens = getattr(request.app.state, "tokens", None)
    if tokens is None or tokens.lookup(token) is None:
        return _page(request, "login.html.j2", locale, 401, next=_safe_next(form.get("next", "")),
                     error=UI[locale]["bad_token"], page_title=UI[locale]["login"])  # fmt: skip
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
def incident_list(request: Request, club: str = "", app: str = "", state: str = "") -> Response:
    service = _service(request)
    principal = principal_of(request)
    if principal is None:
        return _login_redirect(request)
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
    """The incident, or the response to send instead (login redirect; unknown id: see
    :func:`_not_found`). Whether the principal may read it is the caller's check."""
    if principal_of(request) is None:
        return _login_redirect(request)
    try:
        incident, _ = service.incidents.get(incident_id)
    except NotFound:
        return _not_found(request, _lang(request, "fr"))
    return incident


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: str) -> Response:
    service = _service(request)
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
    minutes = sli_minutes(service.incidents.store, Scope(incident.app, incident.environment, slo),
                          start, end + MINUTE)  # fmt: skip
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
    (login redirect, 404, 403 in the club's locale)."""
    incident = _incident(request, service, incident_id)
    if not isinstance(incident, Incident):
        return incident
    return _guard(request, incident.club or None, service.locale_of(incident.club))


@router.get("/incidents/{incident_id}/report")
def report_page(request: Request, incident_id: str, saved: int = 0) -> Response:
    service = _service(request)
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
async def report_save(request: Request, incident_id: str) -> Response:
    service = _service(request)
    guarded = _report_reader(request, service, incident_id)
    if not isinstance(guarded, Principal):
        return guarded
    form = await _form(request)
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
