"""``vigie report <incident-id>``: print the incident's report as Markdown.

The stored report's latest version if there is one; otherwise a fresh draft measured now (not
stored unless ``--save``). Beside a ``vigie serve`` holding the embedded store it goes through
the service's API (:mod:`vigie.local`), which stores the draft it shows (as the pages do).
"""

from __future__ import annotations

from typing import cast

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.incidents.service import IncidentService, NotFound
from vigie.local import ApiError, RunningService, running_service
from vigie.reports.model import REPORT_KINDS, ReportKind
from vigie.reports.render import render_markdown
from vigie.reports.service import ReportService
from vigie.store import connect
from vigie.store.migrations import migrate


def report(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="Incident id, e.g. INC-ABCDEFGHIJ."),
    kind: str = typer.Option("standard", help="standard or security (for a new draft)."),
    save: bool = typer.Option(False, help="Store a new draft as version 1."),
) -> None:
    """Print the post-incident report of an incident as Markdown."""
    if kind not in REPORT_KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(REPORT_KINDS)}")
    settings = settings_of(ctx)
    service = running_service(settings)
    if service is not None:
        typer.echo(_through(service, incident_id, kind, save), nl=False)
        return
    config = load_config(settings.config_dir)
    store = connect(settings)
    try:
        migrate(store, settings)
        reports = ReportService(IncidentService.from_settings(store, config, settings))
        try:
            version = reports.get(incident_id)
            if version is None:
                draft = reports.draft(incident_id, kind=cast(ReportKind, kind))
                version = reports.store.create(draft) if save else draft
        except NotFound as exc:
            typer.echo(f"vigie: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(render_markdown(version), nl=False)
    finally:
        store.close()


def _through(service: RunningService, incident_id: str, kind: str, save: bool) -> str:
    url = f"/api/v1/incidents/{incident_id}/report"
    try:
        if save:
            try:
                service.call("POST", url, json={"kind": kind})
            except ApiError as exc:
                if exc.status != 409:  # 409: it has a report already, print that one
                    raise
        markdown: str = service.call("GET", f"{url}.md", text=True)
    except ApiError as exc:
        typer.echo(f"vigie: {exc}", err=True)
        raise typer.Exit(1) from None
    return markdown
