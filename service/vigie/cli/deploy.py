"""``vigie deploy build [--check]``: the generated parts of ``deploy/`` (see vigie.deploy)."""

from __future__ import annotations

from pathlib import Path

import typer

from vigie.deploy.build import OWNED_DIRS, drift, write

app = typer.Typer(help="Kubernetes manifests under deploy/.", no_args_is_help=True)


@app.command()
def build(
    check: bool = typer.Option(
        False, "--check", help="write nothing; fail if the generated files differ from sources"
    ),
    repo: Path = typer.Option(Path("."), "--repo", help="the repository's root"),
) -> None:
    """Generate the collectors, the config ConfigMap and Grafana's ConfigMaps under deploy/base."""
    if check:
        problems = drift(repo)
        for problem in problems:
            typer.echo(problem)
        if problems:
            typer.echo(f"{len(problems)} generated file(s) out of date: run `vigie deploy build`",
                       err=True)
            raise typer.Exit(1)
        typer.echo(f"{', '.join(OWNED_DIRS)}: up to date")
        return
    changed, removed = write(repo)
    for rel in changed:
        typer.echo(f"wrote {rel}")
    for rel in removed:
        typer.echo(f"removed {rel}")
    typer.echo(f"{len(changed)} written, {len(removed)} removed")
