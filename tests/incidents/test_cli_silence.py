"""``vigie silence add|list|expire`` through a local Typer app, on the embedded engine."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from vigie.cli import silence
from vigie.settings import Settings, load_settings
from vigie.store import Store

app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


app.add_typer(silence.app, name="silence")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["silence", *args])
    return result.exit_code, result.output


def test_add_list_expire(db: Store, settings: Settings, sample_config: Path) -> None:
    code, out = run(
        "add", "--club", "algoets", "--app", "shop", "--duration", "2h",
        "--author", "marie", "--comment", "migration",
    )  # fmt: skip
    assert code == 0, out
    sid = out.split()[0]
    assert sid.startswith("SIL-") and "club=algoets app=shop slo=*" in out and "active" in out
    code, out = run("list", "--json")
    listed = [json.loads(line) for line in out.splitlines()]
    assert [(s["id"], s["state"], s["author"]) for s in listed] == [(sid, "active", "marie")]
    code, out = run("expire", sid)
    assert code == 0 and "expired" in out
    assert run("list")[1].strip() == "no silence"
    assert sid in run("list", "--all")[1]
    code, out = run("expire", "SIL-NOPE")
    assert code == 1 and "no silence SIL-NOPE" in out


def test_refuses_bad_input(db: Store, settings: Settings, sample_config: Path) -> None:
    base = ["add", "--author", "m", "--comment", "c"]
    for extra, message in (
        ([], "either --end or --duration"),
        # fixed date: refused input, nothing stored
        (["--duration", "2h", "--end", "2030-01-01T00:00:00Z"], "either --end or --duration"),
        (["--duration", "soon"], "--duration"),
        # fixed date: refused input (in the past), nothing stored
        (["--end", "2020-01-01T00:00:00Z"], "after start"),
        # fixed date: refused input (no offset), nothing stored
        (["--end", "2030-01-01T00:00:00"], "offset"),
        (["--duration", "99999999999999h"], "--duration"),
        (["--duration", "2h", "--club", "nope"], "unknown club"),
    ):
        code, out = run(*base, *extra)
        assert code != 0 and message in out, (extra, out)
    assert run("list")[1].strip() == "no silence"
