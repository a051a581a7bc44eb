"""``vigie grafana clickhouse-access``: the clubs' roles and policies, and their users."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from vigie.cli import grafana
from vigie.config import load_config
from vigie.dashboards import access
from vigie.dashboards.build import ACCESS_FILE, render
from vigie.errors import StoreError
from vigie.settings import Settings, load_settings
from vigie.store import Store

REPO = Path(__file__).resolve().parents[2]
app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


app.add_typer(grafana.app, name="grafana")


def test_prints_the_generated_statements(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["grafana", "clickhouse-access", "--config-dir", str(REPO)])
    assert result.exit_code == 0, result.output
    committed = (REPO / "dashboards" / ACCESS_FILE).read_text(encoding="utf-8")
    assert committed == render(load_config(REPO))[ACCESS_FILE]
    body = "".join(line + "\n" for line in committed.splitlines() if not line.startswith("--"))
    assert result.output == body


def test_user_statements_parse_and_keep_the_password_off_the_first_line(store: Store) -> None:
    secret = "s3cr'et\\pw"
    statements = access.user_statements("algoets", SecretStr(secret))
    assert [s.split()[0] for s in statements] == ["CREATE", "ALTER", "GRANT", "ALTER"]
    for statement in statements:
        assert secret not in statement.splitlines()[0]
        (formatted,) = store.query("SELECT formatQuery({q:String})", {"q": statement}).rows[0]
        assert "vigie_grafana_algoets" in formatted
    assert "GRANT vigie_club_algoets TO vigie_grafana_algoets" in statements


def test_apply_needs_access_management(settings: Settings, store: Store,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """chdb has no access management: --apply stops at the first statement with the engine's
    reason, and no password appears in what is printed."""
    monkeypatch.setenv("CLICKHOUSE_PASSWORD_ALGOETS", "do-not-print-me")
    result = CliRunner().invoke(app, ["grafana", "clickhouse-access", "--apply",
                                      "--config-dir", str(REPO)])
    assert isinstance(result.exception, StoreError)
    assert "CREATE ROLE IF NOT EXISTS vigie_club_algoets" in str(result.exception)
    assert "do-not-print-me" not in result.output + str(result.exception)
