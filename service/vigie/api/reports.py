"""Post-incident report API.

* ``GET /api/v1/incidents/{id}/report``: the latest version (a standard draft is generated and
  stored as version 1 when there is none): sections with labels, prompts and text, the
  pre-filled facts (as labelled fields and as raw values), the action items, the history;
* ``POST /api/v1/incidents/{id}/report`` ``{"kind": "standard"|"security"}``: generate the draft
  of that kind (201); 409 if the report exists;
* ``PUT /api/v1/incidents/{id}/report`` ``{"version", "sections", "action_items"}``: save an
  edit of ``version``; 409 (with the latest version) when someone saved since; never overwrites;
* ``GET /api/v1/incidents/{id}/report.md``: the Markdown export.

Auth: the incident API's hook (:func:`vigie.api.incidents.authorize`) with the incident's club.
The author of an edit is the token's label (else ``author`` in the body).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from vigie.api.incidents import authorize
from vigie.api.state import running
from vigie.errors import StoreError
from vigie.incidents.service import NotFound
from vigie.reports.model import ACTION_FIELDS, SECTIONS, ReportKind, ReportVersion, facts_to_dict
from vigie.reports.render import fact_rows, render_markdown, title
from vigie.reports.service import ReportService
from vigie.reports.store import StaleVersion
from vigie.reports.texts import t

router = APIRouter(prefix="/api/v1", tags=["reports"])


def get_reports(request: Request) -> ReportService:
    return running(request, "reports", ReportService, "report service")


ReportsDep = Annotated[ReportService, Depends(get_reports)]


class CreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ReportKind = "standard"


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="the version this edit started from")
    author: str = Field(default="", max_length=200)
    sections: dict[str, Annotated[str, Field(max_length=20_000)]] = Field(default_factory=dict)
    action_items: list[dict[str, Annotated[str, Field(max_length=2_000)]]] = Field(
        default_factory=list, max_length=100
    )


def report_json(version: ReportVersion, history: list[tuple[int, str, Any]]) -> dict[str, Any]:
    locale = version.locale
    return {
        "incident_id": version.incident_id,
        "version": version.version,
        "kind": version.kind,
        "locale": locale,
        "author": version.author,
        "created_at": version.created_at.isoformat(),
        "title": title(version),
        "fields": [
            {"label": label, "value": value} for label, value in fact_rows(version.facts, locale)
        ],
        "sections": [
            {
                "name": name,
                "label": t(locale, name),
                "prompt": t(locale, f"{name}_prompt"),
                "text": version.sections.get(name, ""),
            }
            for name in SECTIONS[version.kind]
        ],
        "action_items": list(version.action_items),
        "facts": facts_to_dict(version.facts),
        "history": [
            {"version": v, "author": a, "created_at": at.isoformat()} for v, a, at in history
        ],
    }


def _club_checked(request: Request, service: ReportsDep, incident_id: str, action: str) -> None:
    """The auth hook for the incident's club. An unknown incident is a 404 only for those who
    may see every club: nobody else learns which ids exist."""
    try:
        incident, _ = service.incidents.get(incident_id)
    except NotFound as exc:
        authorize(request, action, None)
        raise HTTPException(404, str(exc)) from None
    authorize(request, action, incident.club or None)


def _unavailable(exc: StoreError) -> HTTPException:
    return HTTPException(503, f"cannot reach the store: {exc}")


@router.get("/incidents/{incident_id}/report")
def get_report(request: Request, service: ReportsDep, incident_id: str) -> dict[str, Any]:
    try:
        _club_checked(request, service, incident_id, "reports:read")
        version = service.get_or_create(incident_id)
        return report_json(version, service.store.history(incident_id))
    except StoreError as exc:
        raise _unavailable(exc) from None


@router.post("/incidents/{incident_id}/report", status_code=201)
def create_report(
    request: Request, service: ReportsDep, incident_id: str, body: CreateRequest
) -> dict[str, Any]:
    try:
        _club_checked(request, service, incident_id, "reports:write")
        if service.get(incident_id) is not None:
            raise HTTPException(409, f"{incident_id} already has a report")
        version = service.get_or_create(incident_id, kind=body.kind)
        return report_json(version, service.store.history(incident_id))
    except StoreError as exc:
        raise _unavailable(exc) from None


@router.put("/incidents/{incident_id}/report")
def save_report(
    request: Request, service: ReportsDep, incident_id: str, body: SaveRequest
) -> dict[str, Any]:
    try:
        _club_checked(request, service, incident_id, "reports:write")
        current = service.get(incident_id)
        if current is None:
            raise HTTPException(404, f"{incident_id} has no report yet: GET it first")
        unknown = sorted(set(body.sections) - set(SECTIONS[current.kind]))
        bad_fields = sorted({k for item in body.action_items for k in item} - set(ACTION_FIELDS))
        if unknown or bad_fields:
            raise HTTPException(
                422, f"unknown sections or fields: {', '.join(unknown + bad_fields)}"
            )
        principal = getattr(request.state, "principal", None)
        author = principal.label if principal is not None and principal.label else body.author
        saved = service.save(incident_id, body.version, author or "?", body.sections,
                             body.action_items)  # fmt: skip
        return report_json(saved, service.store.history(incident_id))
    except StaleVersion as exc:
        raise HTTPException(
            409, {"message": str(exc), "latest": exc.latest, "based_on": exc.based_on}
        ) from None
    except StoreError as exc:
        raise _unavailable(exc) from None


@router.get("/incidents/{incident_id}/report.md", response_class=PlainTextResponse)
def report_markdown(request: Request, service: ReportsDep, incident_id: str) -> PlainTextResponse:
    try:
        _club_checked(request, service, incident_id, "reports:read")
        version = service.get_or_create(incident_id)
    except StoreError as exc:
        raise _unavailable(exc) from None
    return PlainTextResponse(render_markdown(version), media_type="text/markdown; charset=utf-8")
