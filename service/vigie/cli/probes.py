"""``vigie probes build [--check]``: write (or compare) the probe collector's config."""

from __future__ import annotations

from pathlib import Path

import typer

from vigie.cli import settings_of
from vigie.config import load_config
from vigie.probes.collector import OUTPUT, drift, render
from vigie.probes.prober import Prober, otlp_sender

app = typer.Typer(help="Probes of the club sites (probes: in slo/).", no_args_is_help=True)


@app.command()
def build(
    ctx: typer.Context,
    check: bool = typer.Option(
        False, "--check", help=f"write nothing; fail if {OUTPUT} differs from the config"
    ),
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="directory holding slo/ and alerts/ (default: VIGIE_CONFIG_DIR)"
    ),
    out: Path | None = typer.Option(
        None, "--out", help=f"output file (default: <config dir>/{OUTPUT})"
    ),
) -> None:
    """Generate the http_check receivers of every probe declared in slo/."""
    directory = config_dir if config_dir is not None else settings_of(ctx).config_dir
    target = out if out is not None else directory / OUTPUT
    config = load_config(directory)
    if check:
        problems = drift(config.slo_files, target)
        for problem in problems:
            typer.echo(str(problem))
        if problems:
            raise typer.Exit(1)
        typer.echo(f"{target}: up to date")
        return
    problems = drift(config.slo_files, target)
    clashes = [p for p in problems if p.field == "probes"]
    for problem in clashes:
        typer.echo(str(problem), err=True)
    if clashes:
        raise typer.Exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(config.slo_files), encoding="utf-8")
    probes = sum(len(f.probes) for f in config.slo_files)
    typer.echo(f"wrote {target}: {probes} probe(s)")


@app.command()
def run(
    ctx: typer.Context,
    endpoint: str = typer.Option(
        "http://127.0.0.1:4318", "--endpoint", help="a collector's OTLP/HTTP base URL"
    ),
    once: bool = typer.Option(False, "--once", help="check every probe once, then stop"),
    config_dir: Path | None = typer.Option(
        None, "--config-dir", help="directory holding slo/ and alerts/ (default: VIGIE_CONFIG_DIR)"
    ),
) -> None:
    """Run the probes of slo/ (instead of the collector's http_check receiver, not with it)."""
    directory = config_dir if config_dir is not None else settings_of(ctx).config_dir
    probes = [p for f in load_config(directory).slo_files for p in f.probes]
    prober = Prober(otlp_sender(endpoint))
    try:
        if once:
            for check in prober.run_once(probes):
                outcome = check.status or check.error
                typer.echo(f"{check.url}: {outcome} in {check.duration_ms} ms")
            return
        typer.echo(f"probing {len(probes)} URL(s), results to {endpoint}")
        prober.run(probes, stop=lambda: False)
    finally:
        prober.close()
