"""``vigie report <incident-id>``: print the incident's report as Markdown.

The stored report's latest version if there is one; otherwise a fresh draft measured now (not
stored unless ``--save``). Like every command that opens the store, with the embedded engine it
needs ``vigie serve`` stopped; on a running server use ``GET /api/v1/incidents/<id>/report.md``.
"""

from __future__ import annotations

from typing import cast

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.incidents.service import IncidentService, NotFound
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
