"""The report editor, its review process, and the published reports.

The editor shows the report in its own language (the club's), with the facts, the generated
timeline merged with the entries people add (time in the club's zone), the sections with their
prompts, the action items, and the review: owner, status (draft → in review → published, who and
when), reviewer, authors. A published report exports as Markdown ready for PDF; the published
reports are listed per club (a captain sees their club's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from vigie.access.tokens import Principal
from vigie.reports import texts as report_texts
from vigie.reports.model import (
    ACTION_FIELDS,
    DEFAULT_TIMEZONE,
    SECTIONS,
    ReportVersion,
    TimelineEntry,
)
from vigie.reports.render import fact_rows, prompt, render_markdown, review_rows, title
from vigie.reports.review import Action, ReviewError
from vigie.reports.store import StaleVersion, clean_items, clean_notes
from vigie.web.common import (
    author_of,
    form_of,
    guard,
    page,
    principal_of,
    readable_incident,
    reader_locale,
    service_of,
)
from vigie.web.texts import UI

router = APIRouter(include_in_schema=False)
BLANK_ROWS = 2
NOTE_TIME = "%Y-%m-%d %H:%M"


def _editor(
    request: Request,
    version: ReportVersion,
    history: list[Any],
    *,
    status: int = 200,
    **messages: str,
) -> HTMLResponse:
    locale = reader_locale(request)
    # the page in the reader's language; the document keeps its own (its preview and export)
    shown_version = replace(version, locale=locale)
    tz = version.facts.incident.timezone
    service = service_of(request)
    sections = [
        {"name": n, "label": report_texts.t(locale, n), "prompt": prompt(shown_version, n),
         "text": version.sections.get(n, "")}
        for n in SECTIONS[version.kind]
    ]  # fmt: skip
    labels = {"action": "action", "type": "action_type", "owner": "owner", "due": "due",
              "link": "link"}  # fmt: skip
    action_labels = [(f, report_texts.t(locale, labels[f])) for f in ACTION_FIELDS]
    items = [*version.action_items, *({} for _ in range(BLANK_ROWS))]
    zone = report_texts.zone(tz)
    notes = [{"at": n.at.astimezone(zone).strftime(NOTE_TIME), "text": n.detail}
             for n in version.notes] + [{"at": "", "text": ""}] * BLANK_ROWS  # fmt: skip
    review = service.review(version.incident_id, locale)
    shown = review_rows(review, locale, version.facts) if review is not None else []
    texts = {k: messages.get(k, "") for k in ("saved", "conflict", "preview", "error")}
    heading = title(shown_version)
    return page(request, "report.html.j2", locale, status, tz=tz, report_title=heading,
                incident_id=version.incident_id, version=version.version,
                fields=fact_rows(version.facts, locale), sections=sections,
                action_labels=action_labels, action_items=items, history=history, notes=notes,
                review=review, review_rows=shown, page_title=heading, **texts)  # fmt: skip


def _rows(form: Mapping[str, str], prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        parts = key.split("_", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and parts[2] in fields:
            rows.setdefault(int(parts[1]), {})[parts[2]] = value
    return [rows[n] for n in sorted(rows)]


def parse_notes(
    rows: list[dict[str, str]], tz: str, author: str
) -> tuple[list[TimelineEntry], bool]:
    """People's timeline rows (local time in ``tz``) as entries; whether a time was unreadable."""
    zone = report_texts.zone(tz)
    notes, bad = [], False
    for row in rows:
        text = row.get("text", "").strip()
        if not text:
            continue
        try:
            local = datetime.strptime(row.get("at", "").strip(), NOTE_TIME)
        except ValueError:
            bad = True
            continue
        at = local.replace(tzinfo=zone).astimezone(UTC)
        notes.append(TimelineEntry(at, "note", text, {"author": author}))
    return notes, bad


@router.get("/incidents/{incident_id}/report")
def report_page(request: Request, incident_id: str, saved: int = 0, error: str = "") -> Response:
    service = service_of(request)
    found = readable_incident(request, incident_id)
    if not isinstance(found, tuple):
        return found
    version = service.get_or_create(incident_id)
    ui = UI[reader_locale(request)]
    return _editor(request, version, service.store.history(incident_id),
                   saved=ui["saved"].format(version=saved) if saved else "",
                   error=ui.get(f"review_{error}", ""))  # fmt: skip


@router.post("/incidents/{incident_id}/report")
async def report_save(request: Request, incident_id: str) -> Response:
    service = service_of(request)
    found = readable_incident(request, incident_id)
    if not isinstance(found, tuple):
        return found
    principal = found[1]
    form = await form_of(request)
    current = service.get_or_create(incident_id)
    sections = {n: form.get(f"section_{n}", "") for n in SECTIONS[current.kind]}
    items = _rows(form, "action", ACTION_FIELDS)
    author = author_of(principal)
    notes, bad_time = parse_notes(_rows(form, "note", ("at", "text")),
                                  current.facts.incident.timezone, author)  # fmt: skip
    based_on = int(form["version"]) if form.get("version", "").isdigit() else 0
    history = service.store.history(incident_id)
    draft = replace(current, version=based_on, sections=sections,
                    action_items=clean_items(items), notes=clean_notes(notes))  # fmt: skip
    ui = UI[reader_locale(request)]
    if bad_time:
        return _editor(request, draft, history, status=422, error=ui["note_time"])
    if form.get("intent") == "preview":
        review = service.review(incident_id, current.locale)
        return _editor(request, draft, history, preview=render_markdown(draft, review))
    try:
        saved = service.save(incident_id, based_on, author, sections, items, notes=notes)
    except StaleVersion as exc:
        message = ui["conflict"].format(latest=exc.latest, based_on=exc.based_on)
        return _editor(request, draft, history, status=409, conflict=message)
    return RedirectResponse(
        f"/incidents/{quote(incident_id)}/report?saved={saved.version}", status_code=303
    )


@router.post("/incidents/{incident_id}/report/review")
async def report_review(request: Request, incident_id: str) -> Response:
    """Take over the writing, ask for a review (naming the reviewer), or publish."""
    found = readable_incident(request, incident_id)
    if not isinstance(found, tuple):
        return found
    principal = found[1]
    form = await form_of(request)
    action = form.get("action", "")
    url = f"/incidents/{quote(incident_id)}/report"
    if action not in ("claim", "submit", "publish"):
        return RedirectResponse(f"{url}?error=action", status_code=303)
    try:
        service_of(request).act(
            incident_id, cast(Action, action), actor=author_of(principal),
            is_admin=principal.is_admin, reviewer=form.get("reviewer", "")[:200],
        )  # fmt: skip
    except ReviewError as exc:
        return RedirectResponse(f"{url}?error={exc.key}", status_code=303)
    return RedirectResponse(url, status_code=303)


@router.get("/incidents/{incident_id}/report/published.md")
def published_markdown(request: Request, incident_id: str) -> Response:
    """The published version as Markdown (headings, lists, tables: PDF-ready)."""
    service = service_of(request)
    found = readable_incident(request, incident_id)
    if not isinstance(found, tuple):
        return found
    state = service.reviews.current(incident_id)
    version = None
    if state is not None and state.status == "published":
        version = service.store.version(incident_id, state.version)
    if version is None:
        return PlainTextResponse("not published", status_code=404)
    review = service.review(incident_id, version.locale)
    return PlainTextResponse(
        render_markdown(version, review), media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{incident_id}.md"'},
    )  # fmt: skip


@router.get("/reports")
def published_list(request: Request, club: str = "") -> Response:
    """Published reports of a club (a captain: their own; an admin: all, or ``?club=``)."""
    principal = principal_of(request)
    wanted = club if principal.is_admin else principal.club
    guarded = guard(request, wanted or None) if wanted else principal
    if not isinstance(guarded, Principal):
        return guarded
    service = service_of(request)
    locale = reader_locale(request)
    found = service.published(wanted or None)
    rows = [(s, v, title(v)) for s, v in found]
    tz = service.timezone_of(wanted) if wanted else DEFAULT_TIMEZONE
    clubs = [c.id for c in service.incidents.config.alerts.clubs] if principal.is_admin else []
    return page(request, "reports.html.j2", locale, tz=tz, rows=rows, club=wanted, clubs=clubs,
                page_title=UI[locale]["published"])  # fmt: skip
