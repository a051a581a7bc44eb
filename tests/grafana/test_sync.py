"""``vigie grafana sync`` against a local fake of the Grafana endpoints it uses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from tests.grafana.fake import ENDPOINTS, FakeGrafana, serve
from typer.testing import CliRunner

from vigie.cli import grafana as grafana_cli
from vigie.config import load_config
from vigie.grafana.sync import Access, Observed, desired, folder_uid, plan

REPO = Path(__file__).resolve().parents[2]
TOKEN = "glsa_secret-token-value"


@pytest.fixture()
def config_dir(tmp_path: Path) -> Path:
    for name in ("slo", "alerts"):
        shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


@pytest.fixture()
def grafana() -> Iterator[FakeGrafana]:
    fake = FakeGrafana(token=TOKEN, users={1: "admin", 2: "algoets-capitaine",
                                           3: "cedille-admin", 4: "someone-else"})
    # What provisioning made from dashboards/algoets/, and objects Vigie does not own.
    fake.add_folder("x7Gq2", "algoets")
    fake.add_folder("ops", "Ops", [{"teamId": 1, "permission": 2}])
    fake.add_team("ops", ["someone-else"])
    with serve(fake):
        yield fake


def _sync(config_dir: Path, grafana: FakeGrafana, *extra: str, token: str = TOKEN
          ) -> tuple[int, str]:
    app = typer.Typer()
    app.add_typer(grafana_cli.app, name="grafana")
    result = CliRunner().invoke(app, ["grafana", "sync", "--url", grafana.url, "--token", token,
                                      "--config-dir", str(config_dir), *extra])
    assert TOKEN not in result.output
    if result.exception and not isinstance(result.exception, SystemExit):
        assert TOKEN not in str(result.exception)
    return result.exit_code, result.output


def test_first_sync_creates_club_access_and_touches_nothing_else(
        config_dir: Path, grafana: FakeGrafana) -> None:
    code, output = _sync(config_dir, grafana)
    assert code == 0, output
    lines = output.splitlines()
    assert "folder cedille: create (uid folder-cedille)" in lines
    assert "team vigie-algoets: add algoets-capitaine" in lines
    assert lines[-1].startswith("applied ")

    assert grafana.folder_by_title("algoets") == "x7Gq2"  # the provisioned folder is reused
    assert grafana.folder_by_title("cedille") == folder_uid("cedille")
    assert grafana.team_logins("vigie-algoets") == {"algoets-capitaine"}
    assert grafana.team_logins("vigie-cedille") == {"cedille-admin"}
    assert grafana.team_logins("vigie-sonia") == set()
    for club in ("algoets", "cedille", "sonia"):
        assert grafana.grants(club) == {("role", "Admin", 4), ("team", f"vigie-{club}", 1)}
    assert grafana.grants("admin") == {("role", "Admin", 4)}
    # Untouched: the other folder and team.
    assert grafana.grants("Ops") == {("role", "Admin", 4), ("team", "ops", 2)}
    assert grafana.team_logins("ops") == {"someone-else"}
    assert {c for c in grafana.calls} <= ENDPOINTS
    assert not any(method == "DELETE" for method, _ in grafana.calls)


def test_second_sync_plans_nothing(config_dir: Path, grafana: FakeGrafana) -> None:
    _sync(config_dir, grafana)
    grafana.calls.clear()
    code, output = _sync(config_dir, grafana)
    # Grafana OSS has no data source permissions: said, never failed on.
    *warnings, last = output.splitlines()
    assert (code, last) == (0, "Grafana is up to date")
    assert [w.split(":")[1].strip() for w in warnings] == [
        "data source vigie-clickhouse-algoets", "data source vigie-clickhouse-cedille",
        "data source vigie-clickhouse-sonia", "data source vigie-clickhouse"]
    assert all("Grafana OSS" in w for w in warnings)
    assert grafana.mutations() == []


def test_club_datasources_are_shared_with_the_club_team_only(config_dir: Path,
                                                             grafana: FakeGrafana) -> None:
    """Grafana Enterprise: each club's data source is queried by its team, and no longer by
    every Viewer and Editor; the admins' one by admins only; other data sources untouched."""
    grafana.datasources = {}
    for uid in ("vigie-clickhouse", "vigie-clickhouse-algoets", "vigie-clickhouse-cedille",
                "vigie-clickhouse-sonia", "prometheus"):
        grafana.add_datasource(uid)
    code, output = _sync(config_dir, grafana)
    assert code == 0, output
    assert ("data source vigie-clickhouse-algoets: queried by team vigie-algoets only (Query; "
            "removed from Editor, Viewer)") in output.splitlines()
    for club in ("algoets", "cedille", "sonia"):
        team = grafana.teams_by_name(f"vigie-{club}")
        assert grafana.datasources[f"vigie-clickhouse-{club}"] == {
            ("team", team): "Query", ("role", "Admin"): "Admin"}
    # The admins' data source sees every row: admins only.
    assert grafana.datasources["vigie-clickhouse"] == {("role", "Admin"): "Admin"}
    assert "data source vigie-clickhouse: queried by admins only (Query; removed from Editor, "\
        "Viewer)" in output
    assert grafana.datasources["prometheus"][("role", "Viewer")] == "Query"
    assert {c for c in grafana.calls} <= ENDPOINTS
    grafana.calls.clear()
    code, output = _sync(config_dir, grafana)
    assert (code, output) == (0, "Grafana is up to date\n")
    assert grafana.mutations() == []
    # A grant added by hand is taken back.
    grafana.datasources["vigie-clickhouse-sonia"][("role", "Viewer")] = "Query"
    code, output = _sync(config_dir, grafana)
    assert "data source vigie-clickhouse-sonia: queried by team vigie-sonia only" in output
    assert ("role", "Viewer") not in grafana.datasources["vigie-clickhouse-sonia"]


def test_dry_run_prints_the_plan_and_changes_nothing(config_dir: Path,
                                                     grafana: FakeGrafana) -> None:
    code, output = _sync(config_dir, grafana, "--dry-run")
    assert code == 0
    assert "folder algoets: permissions team vigie-algoets View (was: role Editor Edit, "\
        "role Viewer View)" in output
    assert output.splitlines()[-1].startswith("dry run: ")
    assert grafana.mutations() == []
    assert set(grafana.teams.values()) == {"ops"}


def test_members_follow_the_config(config_dir: Path, grafana: FakeGrafana) -> None:
    _sync(config_dir, grafana)
    grafana.members[grafana.teams_by_name("vigie-algoets")].add(4)
    clubs = config_dir / "alerts/clubs.yaml"
    clubs.write_text(clubs.read_text().replace(
        'grafana_logins: ["cedille-admin"]', 'grafana_logins: ["cedille-admin", "new-captain"]'))
    code, output = _sync(config_dir, grafana)
    assert code == 0, output
    assert "team vigie-algoets: remove someone-else (not in alerts/clubs.yaml)" in output
    assert "warning: login new-captain (cedille) is not a Grafana user yet" in output
    assert grafana.team_logins("vigie-algoets") == {"algoets-capitaine"}
    assert grafana.team_logins("ops") == {"someone-else"}
    grafana.users[5] = "new-captain"
    _sync(config_dir, grafana)
    assert grafana.team_logins("vigie-cedille") == {"cedille-admin", "new-captain"}


def test_permissions_changed_by_hand_are_restored(config_dir: Path,
                                                  grafana: FakeGrafana) -> None:
    _sync(config_dir, grafana)
    uid = grafana.folder_by_title("cedille")
    grafana.permissions[uid].append({"role": "Viewer", "permission": 1})
    code, output = _sync(config_dir, grafana)
    assert code == 0
    assert "folder cedille: permissions team vigie-cedille View (was: role Viewer View, " in output
    assert grafana.grants("cedille") == {("role", "Admin", 4), ("team", "vigie-cedille", 1)}


def test_a_rejected_token_is_an_error_without_the_token(config_dir: Path,
                                                        grafana: FakeGrafana) -> None:
    code, _ = _sync(config_dir, grafana, token="wrong-" + TOKEN[:5])
    assert code != 0
    assert grafana.mutations() == []


def test_plan_is_empty_when_everything_matches() -> None:
    wanted = [Access("algoets", "vigie-algoets", ("a",)), Access("admin", None)]
    seen = Observed(folders={"algoets": "u1", "admin": "u2"},
                    grants={"algoets": {("team", 7, 1)}, "admin": set()},
                    teams={"vigie-algoets": 7}, members={"vigie-algoets": {"a": 3}},
                    users={"a": 3})
    assert plan(wanted, seen) == []
    assert [a.folder for a in desired(load_config(REPO).alerts)] == [
        "algoets", "cedille", "sonia", "admin"]
