"""``vigie report`` and ``vigie token create`` through a local Typer app, on the embedded engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from report_seed import seed
from typer.testing import CliRunner

from vigie.access.tokens import TokenStore
from vigie.cli import report, token
from vigie.settings import Settings, load_settings
from vigie.store import Store

app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


app.command("report")(report.report)
app.add_typer(token.app, name="token")

CLUBS = """\
admins:
  webhook: {env: VIGIE_TEST_ADMIN}
clubs:
  - {id: alpha, name: Alpha, locale: fr, webhook: {env: VIGIE_TEST_ALPHA}}
  - {id: gamma, name: Gamma, locale: en, webhook: {env: VIGIE_TEST_GAMMA}}
"""
SLO = """\
app: shop
club: alpha
slos:
  - {name: availability, objective: 99.9, sli: {kind: availability}}
"""


@pytest.fixture()
def config_dir(settings: Settings) -> Path:
    root = settings.config_dir
    (root / "alerts").mkdir(parents=True, exist_ok=True)
    (root / "alerts" / "clubs.yaml").write_text(CLUBS)
    (root / "slo" / "alpha").mkdir(parents=True, exist_ok=True)
    (root / "slo" / "alpha" / "shop.yaml").write_text(SLO)
    return root


def test_report_prints_markdown_and_saves_on_request(db: Store, config_dir: Path) -> None:
    seeded = seed(db)
    runner = CliRunner()
    printed = runner.invoke(app, ["report", seeded.incident_id])
    assert printed.exit_code == 0, printed.output
    assert printed.output.startswith(f"# Post-mortem : shop — disponibilité ({seeded.incident_id})")
    assert "## Faits" in printed.output
    assert db.query("SELECT count() FROM vigie_report_versions").scalar() == 0
    saved = runner.invoke(app, ["report", seeded.incident_id, "--kind", "security", "--save"])
    assert saved.exit_code == 0, saved.output
    assert "Rapport d'incident de sécurité" in saved.output
    assert db.query("SELECT count() FROM vigie_report_versions").scalar() == 1
    missing = runner.invoke(app, ["report", "INC-NOPE"])
    assert missing.exit_code == 1 and "no incident INC-NOPE" in missing.output
    assert runner.invoke(app, ["report", seeded.incident_id, "--kind", "x"]).exit_code == 2


def test_token_create_prints_a_working_token_once(db: Store, config_dir: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["token", "create", "--club", "alpha", "--label", "léa"])
    assert made.exit_code == 0, made.output
    value = made.stdout.strip()
    principal = TokenStore(db).lookup(value)
    assert principal is not None and (principal.role, principal.club, principal.label) == (
        "captain", "alpha", "léa",
    )  # fmt: skip
    admin = runner.invoke(app, ["token", "create", "--admin"])
    assert admin.exit_code == 0 and admin.stdout.strip() != value
    found = TokenStore(db).lookup(admin.stdout.strip())
    assert found is not None and found.is_admin
    assert runner.invoke(app, ["token", "create"]).exit_code == 2
    assert runner.invoke(app, ["token", "create", "--admin", "--club", "alpha"]).exit_code == 2
    assert runner.invoke(app, ["token", "create", "--club", "nope"]).exit_code == 2


def test_token_list_and_revoke(db: Store, config_dir: Path) -> None:
    runner = CliRunner()
    # fixed date: an expiry far ahead; the tokens table has no TTL
    expiry = "2099-06-30"
    made = runner.invoke(app, ["token", "create", "--club", "alpha", "--label", "léa",
                               "--expires", expiry])  # fmt: skip
    assert made.exit_code == 0, made.output
    value = made.stdout.strip()
    listed = runner.invoke(app, ["token", "list"])
    assert listed.exit_code == 0 and value not in listed.output
    (line,) = listed.stdout.splitlines()
    token_id = line.split()[0]
    assert line.split()[1:5] == ["captain", "alpha", "active", "expires"] and expiry in line
    revoked = runner.invoke(app, ["token", "revoke", token_id])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert TokenStore(db).lookup(value) is None
    assert "revoked" in runner.invoke(app, ["token", "list"]).stdout
    unknown = runner.invoke(app, ["token", "revoke", "ffffffffffff"])
    assert unknown.exit_code == 1 and "no token ffffffffffff" in unknown.output
    # fixed date: refused, nothing stored
    past = runner.invoke(app, ["token", "create", "--admin", "--expires", "2001-01-01"])
    assert past.exit_code == 2 and "expires_at" in past.output
