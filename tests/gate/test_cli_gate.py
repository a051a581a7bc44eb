"""``vigie gate check|override`` through a local Typer app, on the embedded engine."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from tests.gate.test_gate_api import _engine_minute
from typer.testing import CliRunner

from vigie.cli import gate
from vigie.settings import load_settings
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


app.add_typer(gate.app, name="gate")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["gate", *args])
    return result.exit_code, result.output


def test_check_and_override(db: Store, sample_config: Path) -> None:
    now = _engine_minute(db)
    for version, errors in (("2.0", 0), ("2.1", 2)):  # 2.1 fails every other request
        insert_traffic(db, service="site-web", start=now - timedelta(minutes=8),
                       duration=timedelta(minutes=8), per_minute=40, version=version,
                       error_every=errors)
    code, out = run("check", "algoets", "site-web", "--canary", "2.1", "--stable", "2.0")
    assert code == 1, out
    assert json.loads(out)["verdict"] == "fail"
    assert run("check", "algoets", "site-web", "--canary", "2.0")[0] == 0
    assert run("check", "algoets", "nope")[0] == 2
    code, out = run("override", "add", "algoets", "site-web", "--duration", "1h",
                    "--reason", "the fix", "--author", "marie")
    assert code == 0, out
    override = json.loads(out)
    code, out = run("check", "algoets", "site-web", "--canary", "2.1")
    assert code == 0 and json.loads(out)["override"]["id"] == override["id"]
    assert f"{override['id']}  algoets/site-web  active" in run("override", "list")[1]
    assert run("override", "close", override["id"], "--author", "marie")[0] == 0
    assert "ended" in run("override", "list")[1]
    assert run("override", "add", "algoets", "site-web", "--duration", "9d", "--reason", "r",
               "--author", "a")[0] == 2
