"""Per-club data isolation: the generated roles and row policies parse in the engine, each
policy's condition, run as a WHERE clause on the seeded tables, keeps exactly the club's rows,
and each club's dashboards read only through its own data source and only granted tables."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.dashboards.conftest import Seeded

from vigie.config import load_config
from vigie.dashboards import access
from vigie.dashboards.build import ACCESS_FILE, DATASOURCE_FILE, dashboards, render
from vigie.dashboards.model import DATASOURCE, PLUGIN_ID
from vigie.errors import StoreError

REPO = Path(__file__).resolve().parents[2]


def _apps(seeded: Seeded) -> dict[str, set[str]]:
    apps: dict[str, set[str]] = {club.id: set() for club in seeded.config.clubs}
    for slo_file in seeded.config.slo_files:
        apps[slo_file.club].add(slo_file.app)
    return apps


def test_every_statement_parses_in_the_engine(seeded: Seeded) -> None:
    """chdb has no access management (CREATE ROLE needs it), but its parser is the server's:
    ``formatQuery`` rejects any statement that does not parse."""
    text = render(seeded.config)[ACCESS_FILE]
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("--"))
    statements = [s for s in body.split(";\n") if s.strip()]
    kinds = Counter(" ".join(s.split()[:3]) for s in statements)
    assert kinds["CREATE ROLE IF"] == 3
    assert kinds["CREATE ROW POLICY"] == 4 * len(access.READABLE)
    for statement in statements:
        (formatted,) = seeded.store.query("SELECT formatQuery({q:String})",
                                          {"q": statement}).rows[0]
        assert formatted.split()[0] in ("CREATE", "REVOKE", "GRANT"), statement
    for statement in ("CREATE ROW POLICY p ON t USING ServiceName IN ('a' TO r",
                      "GRANT SELEC ON t TO r"):
        with pytest.raises(StoreError, match="Syntax error"):
            seeded.store.query("SELECT formatQuery({q:String})", {"q": statement})


def _policies(text: str) -> dict[tuple[str, str], str]:
    found = re.findall(r"CREATE ROW POLICY OR REPLACE (\w+) ON (\w+) AS PERMISSIVE FOR SELECT"
                       r" USING (.+) TO (.+);", text)
    return {(role, table): condition for role, table, condition, _ in found}


def test_each_policy_keeps_its_clubs_rows_only(seeded: Seeded) -> None:
    apps = _apps(seeded)
    policies = _policies(render(seeded.config)[ACCESS_FILE])
    tables_with_rows = 0
    for table in access.READABLE:
        column = "club" if table in access.CLUB_TABLES else "ServiceName"
        rows = seeded.store.query(f"SELECT {column}, count() FROM {table} GROUP BY {column}").rows
        by_owner = dict(rows)
        tables_with_rows += bool(by_owner)
        for club in apps:
            condition = policies[(access.club_role(club), table)]
            assert condition == access.predicates(club, apps[club])[table]
            got = seeded.store.query(
                f"SELECT {column}, count() FROM {table} WHERE {condition} GROUP BY {column}").rows
            owned = apps[club] if column == "ServiceName" else {club}
            # Exactly the rows of the club's apps (or incidents), computed without the policy.
            assert dict(got) == {k: v for k, v in by_owner.items() if k in owned}, (club, table)
        assert policies[(access.UNRESTRICTED, table)] == "1"
    # The seed holds spans, logs, rollups, metrics and incidents of several clubs.
    assert tables_with_rows >= 6
    algoets = access.predicates("algoets", apps["algoets"])[access.tables.TRACES]
    (count,) = seeded.store.query(
        f"SELECT count() FROM {access.tables.TRACES} WHERE {algoets}"
        " AND ServiceName IN ('forge', 'wiki', 'portail')").rows[0]
    assert count == 0


def test_kubernetes_metrics_follow_the_deployment_name() -> None:
    condition = access.predicates("algoets", ["site-web"])[access.tables.METRICS_GAUGE]
    assert condition == ("(ServiceName IN ('site-web') OR"
                         " ResourceAttributes['k8s.deployment.name'] IN ('site-web'))")
    assert access.predicates("empty", [])[access.tables.TRACES] == "0"


def _datasource_refs(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") == PLUGIN_ID and "uid" in value:
            return [value]
        return [ref for item in value.values() for ref in _datasource_refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _datasource_refs(item)]
    return []


def test_club_dashboards_use_their_own_datasource_and_granted_tables() -> None:
    config = load_config(REPO)
    files = render(config)
    (admin_source, *club_sources) = yaml.safe_load(files[DATASOURCE_FILE])["datasources"]
    assert admin_source["uid"] == DATASOURCE["uid"] and admin_source["isDefault"] is True
    assert {s["uid"]: (s["jsonData"]["username"], s["secureJsonData"]["password"], s["isDefault"])
            for s in club_sources} == {
        f"vigie-clickhouse-{club}": (f"vigie_grafana_{club}",
                                     f"$CLICKHOUSE_PASSWORD_{club.upper()}", False)
        for club in ("algoets", "cedille", "sonia")}
    for built in dashboards(config):
        refs = _datasource_refs(built.json)
        assert refs
        club = built.path.split("/")[0]
        wanted = DATASOURCE["uid"] if club == "admin" else access.datasource_uid(club)
        assert {r["uid"] for r in refs} == {wanted}, built.path
        if club == "admin":
            continue
        sql = " ".join(p.sql for p in built.panels if p.sql)
        sql += " ".join(a["target"]["rawSql"] for a in built.json["annotations"]["list"]
                        if "target" in a)
        sql += " ".join(v["query"]["rawSql"] for v in built.json["templating"]["list"])
        read = set(re.findall(r"\bFROM (\w+)", sql)) - {"system"}
        assert read and read <= set(access.READABLE), (built.path, read - set(access.READABLE))
