"""Post-incident report API.

* ``GET /api/v1/incidents/{id}/report``: the latest version (a standard draft is generated and
  stored as version 1 when there is none): sections with labels, prompts and text, the
  pre-filled facts (as labelled fields and as raw values), the action items, the history;
* ``POST /api/v1/incidents/{id}/report`` ``{"kind": "standard"|"security"}``: generate the draft
  of that kind (201); 409 if the report exists;
* ``PUT /api/v1/incidents/{id}/report`` ``{"version", "sections", "action_items"}``: save an
  edit of ``version``; 409 (with the latest version) when someone saved since; never overwrites;
* ``GET /api/v1/incidents/{id}/report.md``: the Markdown export.

Every route needs a token; another club's incident answers 404 exactly like an unknown one.
The author of an edit is the token's label (else ``author`` in the body).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from vigie.access.tokens import Principal
from vigie.api.auth import PrincipalDep, visible
from vigie.api.deps import ReportsDep
from vigie.api.params import Id
from vigie.incidents.service import NotFound
from vigie.reports.model import ACTION_FIELDS, SECTIONS, ReportKind, ReportVersion, facts_to_dict
from vigie.reports.render import fact_rows, render_markdown, title
from vigie.reports.service import ReportService
from vigie.reports.store import StaleVersion
from vigie.reports.texts import t

router = APIRouter(prefix="/api/v1", tags=["reports"])


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


def _club_checked(principal: Principal, service: ReportService, incident_id: str) -> None:
    """404 for an unknown incident and for another club's: nobody learns which ids exist."""
    try:
        incident, _ = service.incidents.get(incident_id)
    except NotFound:
        raise HTTPException(404, f"no incident {incident_id}") from None
    if not visible(principal, incident.club):
        raise HTTPException(404, f"no incident {incident_id}")


@router.get("/incidents/{incident_id}/report")
def get_report(principal: PrincipalDep, service: ReportsDep, incident_id: Id) -> dict[str, Any]:
    _club_checked(principal, service, incident_id)
    version = service.get_or_create(incident_id)
    return report_json(version, service.store.history(incident_id))


@router.post("/incidents/{incident_id}/report", status_code=201)
def create_report(
    principal: PrincipalDep, service: ReportsDep, incident_id: Id, body: CreateRequest
) -> dict[str, Any]:
    _club_checked(principal, service, incident_id)
    if service.get(incident_id) is not None:
        raise HTTPException(409, f"{incident_id} already has a report")
    version = service.get_or_create(incident_id, kind=body.kind)
    return report_json(version, service.store.history(incident_id))


@router.put("/incidents/{incident_id}/report")
def save_report(
    principal: PrincipalDep, service: ReportsDep, incident_id: Id, body: SaveRequest
) -> dict[str, Any]:
    _club_checked(principal, service, incident_id)
    try:
        current = service.get(incident_id)
        if current is None:
            raise HTTPException(404, f"{incident_id} has no report yet: GET it first")
        unknown = sorted(set(body.sections) - set(SECTIONS[current.kind]))
        bad_fields = sorted({k for item in body.action_items for k in item} - set(ACTION_FIELDS))
        if unknown or bad_fields:
            raise HTTPException(
                422, f"unknown sections or fields: {', '.join(unknown + bad_fields)}"
            )
        author = principal.label or body.author
        saved = service.save(incident_id, body.version, author or "?", body.sections,
                             body.action_items)  # fmt: skip
        return report_json(saved, service.store.history(incident_id))
    except StaleVersion as exc:
        raise HTTPException(
            409, {"message": str(exc), "latest": exc.latest, "based_on": exc.based_on}
        ) from None


@router.get("/incidents/{incident_id}/report.md", response_class=PlainTextResponse)
def report_markdown(
    principal: PrincipalDep, service: ReportsDep, incident_id: Id
) -> PlainTextResponse:
    _club_checked(principal, service, incident_id)
    version = service.get_or_create(incident_id)
    return PlainTextResponse(render_markdown(version), media_type="text/markdown; charset=utf-8")
