"""deploy/base/clickhouse: the accounts agree with who uses them (the gateway's exporter tables,
the StatefulSet's environment, the database every client names), and every grant parses with the
engine's own parser (chdb's formatQuery)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import yaml
from tests.deploy.rendered import DEPLOY, REPO

from vigie.deploy import collectors
from vigie.store import Store

CLICKHOUSE = DEPLOY / "base/clickhouse"
DATABASE = "otel"


def _users() -> dict[str, ET.Element]:
    root = ET.parse(CLICKHOUSE / "users.xml").getroot()
    users = root.find("users")
    assert users is not None
    return {user.tag: user for user in users}


def _grants(user: ET.Element) -> list[str]:
    return [(query.text or "").strip() for query in user.iterfind("grants/query")]


def _exporter_tables() -> set[str]:
    gateway = yaml.safe_load((REPO / "collector_config/gateway.yaml").read_text())
    exporter = gateway["exporters"]["clickhouse"]
    metrics = {table["name"] for table in exporter["metrics_tables"].values()}
    return {exporter["traces_table_name"], exporter["logs_table_name"], *metrics}


def _statefulset() -> dict[str, Any]:
    docs = yaml.safe_load_all((CLICKHOUSE / "statefulset.yaml").read_text())
    (found,) = [d for d in docs if d["kind"] == "StatefulSet"]
    return found


def test_collectors_may_only_insert_into_the_exporter_tables() -> None:
    grants = _grants(_users()["collectors"])
    assert set(grants) == {f"GRANT INSERT ON {DATABASE}.{t}" for t in _exporter_tables()}


def test_grafana_reads_and_vigie_owns_its_database() -> None:
    users = _users()
    assert _grants(users["grafana"]) == [f"GRANT SELECT ON {DATABASE}.*"]
    assert users["grafana"].findtext("profile") == "grafana"
    assert _grants(users["vigie"]) == [f"GRANT ALL ON {DATABASE}.*"]
    default_networks = [ip.text for ip in users["default"].iterfind("networks/ip")]
    assert default_networks == ["127.0.0.1", "::1"]


def test_every_password_comes_from_the_vault_secret() -> None:
    container = _statefulset()["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    for name, user in _users().items():
        password = user.find("password")
        if name == "default":
            continue
        assert password is not None and password.get("from_env") in env, name
        ref = env[password.get("from_env", "")]
        assert ref == {"name": collectors.CLICKHOUSE_SECRET, "key": name}


def test_clients_name_the_same_database_and_users() -> None:
    generated = list(yaml.safe_load_all(
        (DEPLOY / "base/generated/collectors.yaml").read_text()))
    gateway = next(d for d in generated if d["metadata"]["name"] == collectors.GATEWAY)
    gateway_env = {e["name"]: e.get("value") for e in gateway["spec"]["env"]}
    assert gateway_env["CLICKHOUSE_DATABASE"] == DATABASE
    assert gateway_env["CLICKHOUSE_USER"] == "collectors"
    docs = list(yaml.safe_load_all((DEPLOY / "base/vigie.yaml").read_text()))
    vigie = next(d for d in docs if d["kind"] == "Deployment")
    (container,) = vigie["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["VIGIE_CLICKHOUSE_DATABASE"] == DATABASE
    assert env["VIGIE_CLICKHOUSE_DSN"].startswith("http://vigie:")


def test_every_grant_parses(store: Store) -> None:
    for name, user in _users().items():
        for grant in _grants(user):
            # users.xml omits the grantee: it goes before WITH GRANT OPTION in SQL.
            granted, option, rest = grant.partition(" WITH GRANT OPTION")
            sql = f"{granted} TO {name}{option}{rest}"
            formatted = store.query("SELECT formatQuery({q:String})", {"q": sql}).rows[0][0]
            assert formatted.startswith("GRANT "), formatted


def test_server_config_files_are_well_formed_xml() -> None:
    for name in ("config.xml", "users.xml"):
        assert ET.parse(CLICKHOUSE / name).getroot().tag == "clickhouse"
