from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from tests.fakes.discord import FakeDiscord
from typer.testing import CliRunner

from vigie.cli import evaluate
from vigie.settings import Settings, load_settings
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

REPO = Path(__file__).resolve().parents[2]

app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


app.command("evaluate")(evaluate.evaluate_command)


def test_json_lines_for_every_slo_of_the_config(db: Store, settings: Settings) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, settings.config_dir / part)
    at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    insert_traffic(
        db,
        service="forge",
        start=at - timedelta(hours=2),
        duration=timedelta(hours=2),
        per_minute=30,
        error_every=10,
        route="/api/v1/repos/{owner}/{repo}",
    )
    result = CliRunner().invoke(app, ["evaluate", "--at", at.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) >= 6
    forge = {d["slo"]: d for d in lines if d["app"] == "forge"}
    assert set(forge) == {"availability", "repo-api"}
    for d in forge.values():  # 10% errors: the custom SLI sees them like the built-in one
        assert d["state"] == "page" if d["slo"] == "availability" else "ticket"
        assert d["events_total"] == 3600
        assert d["events_bad"] == 360
        assert set(d["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
        assert {"club", "objective", "window", "budget_remaining"} <= set(d)
    others = [d for d in lines if d["app"] != "forge"]
    # site-web's https probe has a certificate verdict: frozen until a certificate is seen
    certificates = [d for d in others if d["slo"].startswith("certificat-")]
    assert [d["state"] for d in certificates] == ["low_traffic"]
    assert {d["state"] for d in others if d not in certificates} == {"no_data"}


def test_table_and_bad_instant(db: Store, settings: Settings) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, settings.config_dir / part)
    table = CliRunner().invoke(app, ["evaluate"])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split()[:6] == [
        "club",
        "app",
        "slo",
        "objective",
        "window",
        "state",
    ]
    assert "no_data" in table.output
    # fixed date: refused input, nothing stored
    naive = CliRunner().invoke(app, ["evaluate", "--at", "2026-11-27T03:00:00"])
    assert naive.exit_code != 0
    assert "offset" in naive.output


def test_an_instant_past_the_rollups_retention_is_refused(db: Store, settings: Settings) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, settings.config_dir / part)
    (seconds,) = db.query("SELECT toUnixTimestamp(now())").rows[0]
    now = datetime.fromtimestamp(seconds, UTC)
    old = (now - timedelta(days=10)).replace(second=0, microsecond=0)
    result = CliRunner().invoke(app, ["evaluate", "--at", old.isoformat()])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "too old to evaluate" in text and "keep 7 days" in text, text
    oldest = datetime.fromisoformat(text.split("evaluated now is ")[1].split()[0])
    assert now - timedelta(days=4, minutes=2) <= oldest <= now - timedelta(days=4) + timedelta(
        minutes=2)
    # The instant it names is accepted.
    accepted = CliRunner().invoke(app, ["evaluate", "--at", oldest.isoformat(), "--dry-run"])
    assert accepted.exit_code == 0, accepted.output


def test_evaluate_delivers_what_it_decides(
    db: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, settings.config_dir / part)
    at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    insert_traffic(db, service="forge", start=at - timedelta(hours=2),
                   duration=timedelta(hours=2), per_minute=30, error_every=2)  # fmt: skip
    with FakeDiscord() as discord:
        hooks = {name: discord.webhook() for name in ("ADMIN", "ALGOETS", "CEDILLE", "SONIA")}
        for name, hook in hooks.items():
            monkeypatch.setenv(f"VIGIE_DISCORD_{name}", discord.url(hook))
        before = (at - timedelta(seconds=31)).isoformat()
        first = CliRunner().invoke(app, ["evaluate", "--at", before])
        assert first.exit_code == 0, first.output
        second = CliRunner().invoke(app, ["evaluate", "--at", at.isoformat()])
        assert second.exit_code == 0, second.output
    posted = sum(len(h.posts) for h in hooks.values())
    assert posted >= 2 and hooks["CEDILLE"].posts and hooks["ADMIN"].posts
    said = [line for line in (first.output + second.output).splitlines() if "Discord" in line]
    sent = sum(int(line.split()[1]) for line in said if line.startswith("notices: "))
    assert sent == posted and all("not sent" not in line for line in said), said
