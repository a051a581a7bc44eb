from __future__ import annotations

import importlib
import itertools
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigie.errors import ConfigError, StoreError
from vigie.settings import Settings
from vigie.store import Store
from vigie.store import tables as t
from vigie.store.migrations import (
    MIGRATIONS_TABLE,
    Migration,
    MigrationContext,
    discover,
    migrate,
    pending,
)

_serial = itertools.count()

EXPORTER_TABLES = (
    t.TRACES,
    t.TRACE_ID_TS,
    t.LOGS,
    t.METRICS_GAUGE,
    t.METRICS_SUM,
    t.METRICS_HISTOGRAM,
    t.METRICS_EXPONENTIAL_HISTOGRAM,
    t.METRICS_SUMMARY,
)


def _schema(store: Store) -> dict[str, str]:
    rows = store.query(
        "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
        {"db": store.database},
    ).rows
    return {name: query for name, query in rows}


def _columns(store: Store, table: str, *, insertable: bool = False) -> dict[str, str]:
    rows = store.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} "
        "AND table = {t:String} AND (NOT {ins:Bool} OR default_kind NOT IN "
        "('MATERIALIZED', 'ALIAS')) ORDER BY position",
        {"db": store.database, "t": table, "ins": insertable},
    ).rows
    return dict(rows)


def _with_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


def test_migrate_creates_every_exporter_table_and_the_view(
    store: Store, settings: Settings
) -> None:
    assert migrate(store, settings) == [m.version for m in discover()]
    schema = _schema(store)
    for table in (*EXPORTER_TABLES, t.TRACE_ID_TS_MV, MIGRATIONS_TABLE):
        assert table in schema, table
    assert "MATERIALIZED VIEW" in schema[t.TRACE_ID_TS_MV]


def test_second_run_applies_nothing_and_changes_nothing(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    before = _schema(store)
    ledger_sql = f"SELECT version, checksum, applied_at FROM {MIGRATIONS_TABLE} ORDER BY version"
    ledger = store.query(ledger_sql).rows

    assert migrate(store, settings) == []
    assert pending(store, settings) == []
    assert _schema(store) == before
    assert store.query(ledger_sql).rows == ledger


def test_insert_columns_match_the_created_tables(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    for table, columns in t.INSERT_COLUMNS.items():
        assert tuple(_columns(store, table, insertable=True)) == columns, table


def test_columns_have_the_exporter_v0_161_types(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    traces = _columns(store, t.TRACES)
    assert traces["Timestamp"] == "DateTime64(9)"
    assert traces["Duration"] == "UInt64"
    assert traces["SpanAttributes"] == "Map(LowCardinality(String), String)"
    assert traces["Events.Timestamp"] == "Array(DateTime64(9))"
    logs = _columns(store, t.LOGS)
    assert "TimestampTime" not in logs  # dropped by the exporter in v0.151
    assert logs["__otel_materialized_k8s.namespace.name"] == "LowCardinality(String)"
    for table in (t.METRICS_GAUGE, t.METRICS_SUM, t.METRICS_SUMMARY):
        metric = _columns(store, table)
        assert metric["TimeUnix"] == "DateTime"  # DateTime64(9) before v0.160
        assert metric["MetricName"] == "LowCardinality(String)"
    assert _columns(store, t.METRICS_SUM)["IsMonotonic"] == "Bool"
    assert _columns(store, t.TRACE_ID_TS)["Start"] == "DateTime"


def test_sort_keys_partitions_and_ttl_are_the_exporter_s(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    rows = store.query(
        "SELECT name, sorting_key, partition_key, create_table_query FROM system.tables "
        "WHERE database = {db:String}",
        {"db": store.database},
    ).rows
    info = {name: (sorting, partition, ddl) for name, sorting, partition, ddl in rows}
    assert info[t.LOGS][0] == "toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp"
    assert info[t.TRACES][0] == "ServiceName, SpanName, toDateTime(Timestamp)"
    assert info[t.TRACES][1] == "toDate(Timestamp)"
    assert info[t.METRICS_HISTOGRAM][0] == (
        "ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix"
    )
    assert "TTL toDateTime(Timestamp) + toIntervalDay(30)" in info[t.LOGS][2]
    assert "ttl_only_drop_parts = 1" in info[t.TRACES][2]


def test_ttl_days_zero_means_no_ttl(store: Store, settings: Settings) -> None:
    migrate(store, _with_settings(settings, ttl_days=0))
    for table in EXPORTER_TABLES:
        assert " TTL " not in _schema(store)[table], table


def test_trace_id_lookup_view_fills_from_inserted_spans(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    # An hour ago on the engine's clock: inside every TTL, whatever the day.
    (start,) = store.query("SELECT toStartOfMinute(now()) - INTERVAL 1 HOUR").rows[0]
    first, last = f"{start:%Y-%m-%d %H:%M:%S}", f"{start + timedelta(seconds=3):%Y-%m-%d %H:%M:%S}"
    store.command(
        f"INSERT INTO {t.TRACES} (Timestamp, TraceId, SpanId, ServiceName) VALUES "
        f"('{first}.5', 'abc', '1', 'svc'), ('{last}', 'abc', '2', 'svc')"
    )
    row = store.query(f"SELECT TraceId, min(Start), max(End) FROM {t.TRACE_ID_TS} GROUP BY TraceId")
    assert [(r[0], str(r[1]), str(r[2])) for r in row.rows] == [("abc", first, last)]


def test_an_edited_applied_migration_is_refused(store: Store, settings: Settings) -> None:
    migrations = discover()
    migrate(store, settings, migrations)
    first = migrations[0]
    edited = Migration(
        first.version,
        first.description,
        lambda ctx: [*first.statements(ctx), f"SELECT 1 FROM {ctx.table(t.TRACES)}"],
        first.module,
    )
    with pytest.raises(StoreError, match=r"0001 .*never edit an applied migration"):
        migrate(store, settings, [edited, *migrations[1:]])


def test_settings_changes_do_not_count_as_edits(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    assert migrate(store, _with_settings(settings, ttl_days=7)) == []


def test_new_migrations_apply_in_version_order(store: Store, settings: Settings) -> None:
    base = discover()
    migrate(store, settings, base)
    order: list[int] = []

    def make(version: int) -> Migration:
        def statements(ctx: MigrationContext) -> list[str]:
            order.append(version)
            return ctx.create_table(f"extra_{version}", "    x UInt8", "ORDER BY x")

        return Migration(version, f"extra {version}", statements, f"test.m{version:04d}")

    later = [make(43), make(42)]
    assert migrate(store, settings, [*base, *sorted(later, key=lambda m: m.version)]) == [42, 43]
    assert {"extra_42", "extra_43"} <= set(_schema(store))


def _package(tmp_path: Path, files: dict[str, str]) -> types.ModuleType:
    # A real package on sys.path, uniquely named so no test sees another's cached modules.
    name = f"fake_migrations_{next(_serial)}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for file, text in files.items():
        (root / file).write_text(text)
    return importlib.import_module(name)


_MODULE = "VERSION = {v}\nDESCRIPTION = 'd'\ndef statements(ctx):\n    return []\n"


def test_discovery_sorts_by_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(
        tmp_path,
        {"m0012_b.py": _MODULE.format(v=12), "m0003_a.py": _MODULE.format(v=3), "helper.py": ""},
    )
    assert [m.version for m in discover(package)] == [3, 12]


def test_discovery_refuses_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(
        tmp_path, {"m0005_a.py": _MODULE.format(v=5), "m0005_b.py": _MODULE.format(v=5)}
    )
    with pytest.raises(ValueError, match="version 5 is defined twice"):
        discover(package)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m0007_a.py", _MODULE.format(v=8), "VERSION is 8"),
        ("m07_a.py", _MODULE.format(v=7), "named m<NNNN>_<slug>"),
        ("m0007_a.py", "VERSION = 7\nDESCRIPTION = 'd'\n", "statements"),
    ],
)
def test_discovery_refuses_malformed_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, message: str
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=message):
        discover(_package(tmp_path, {name: text}))


def test_shipped_migrations_are_numbered_from_one() -> None:
    versions = [m.version for m in discover()]
    assert versions[0] == 1
    assert versions == sorted(set(versions))


# Cluster layout: chdb has no cluster, so the statements are parsed by the engine's own parser
# (formatQuery) without being executed.


def _parsed(store: Store, statement: str) -> str:
    formatted = store.query("SELECT formatQuerySingleLine({q:String})", {"q": statement}).scalar()
    assert isinstance(formatted, str)
    return formatted


def test_every_cluster_statement_parses_and_runs_on_cluster(store: Store) -> None:
    ctx = MigrationContext(store.database, cluster="cedille", ttl_days=30)
    for migration in discover():
        for statement in migration.statements(ctx):
            formatted = _parsed(store, statement)
            if formatted.startswith(("CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE")):
                assert " ON CLUSTER cedille" in formatted, (migration.module, formatted[:120])


def test_cluster_layout_of_the_exporter_tables(store: Store) -> None:
    db = store.database
    ctx = MigrationContext(db, cluster="cedille", ttl_days=30)
    statements = [_parsed(store, s) for s in discover()[0].statements(ctx)]
    by_target = {s.split(" ON CLUSTER")[0].split()[-1]: s for s in statements}
    for table in EXPORTER_TABLES:
        local = by_target[f"{db}.{table}_local"]
        assert (
            "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', "
            "'{replica}')" in local
        )
        distributed = by_target[f"{db}.{table}"]
        assert (
            f"AS {db}.{table}_local ENGINE = Distributed('cedille', '{db}', '{table}_local',"
            in (distributed)
        )
    view = by_target[f"{db}.{t.TRACE_ID_TS_MV}"]
    assert f"TO {db}.{t.TRACE_ID_TS}_local" in view
    assert f"FROM {db}.{t.TRACES}_local" in view
    assert "cityHash64(TraceId)" in by_target[f"{db}.{t.TRACES}"]


def test_cluster_ledger_is_replicated_to_every_node() -> None:
    ctx = MigrationContext("otel", cluster="cedille")
    (statement,) = ctx.create_table("vigie_things", "    x UInt8", "ORDER BY x")
    assert "`otel`.`vigie_things` ON CLUSTER `cedille`" in statement
    assert "ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')" in (
        statement
    )


def test_single_server_layout_uses_plain_names_and_engines() -> None:
    ctx = MigrationContext("otel", ttl_days=3)
    (statement,) = ctx.create_table("t", "    x UInt8", "ORDER BY x", shard_by="rand()")
    assert statement.startswith("CREATE TABLE IF NOT EXISTS `otel`.`t` (")
    assert "ENGINE = MergeTree()" in statement
    assert "ON CLUSTER" not in statement
    assert ctx.ttl("toDateTime(T)") == "TTL toDateTime(T) + toIntervalDay(3)"


@pytest.mark.parametrize(
    "changes", [{"database": "x; DROP"}, {"cluster": "a` b"}, {"ttl_days": -1}]
)
def test_context_refuses_values_that_could_carry_sql(changes: dict[str, object]) -> None:
    values: dict[str, object] = {"database": "otel", "cluster": None, "ttl_days": 30, **changes}
    with pytest.raises(ConfigError):
        MigrationContext(**values)  # type: ignore[arg-type]


def test_rows_in_the_exporter_columns_insert_into_every_table(
    store: Store, settings: Settings
) -> None:
    migrate(store, settings)
    (seconds,) = store.query("SELECT toUnixTimestamp(now()) - 3600").rows[0]
    when = datetime.fromtimestamp(seconds, UTC)  # an hour ago: inside every TTL
    for table, columns in t.INSERT_COLUMNS.items():
        types_ = _columns(store, table, insertable=True)
        row = [_sample(types_[c], when) for c in columns]
        store.insert(table, columns, [row])
        assert store.query(f"SELECT count() FROM {table}").scalar() == 1, table


def _sample(type_: str, when: datetime) -> object:
    """A value of the Python type the exporter's rows carry for a column of ``type_``."""
    if type_.startswith("Array(Map"):
        return [{"k": "v"}]
    if type_.startswith("Map"):
        return {"k": "v"}
    if type_.startswith("Array(DateTime"):
        return [when]
    if type_.startswith("Array(Float"):
        return [0.5]
    if type_.startswith("Array("):
        return [1] if "Int" in type_ else ["x"]
    if type_.startswith("DateTime"):
        return when
    if type_ == "Bool":
        return True
    if "Float" in type_:
        return 1.5
    if "Int" in type_:
        return 1
    return "x"
