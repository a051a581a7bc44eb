"""What a migration needs to know to write its DDL: database, cluster, TTL.

A migration's ``statements(ctx)`` builds every statement through this context so that one text
serves both layouts:

* single server (``clickhouse_cluster`` unset): plain ``MergeTree`` tables under their own names;
* cluster: every statement carries ``ON CLUSTER``; a sharded table is stored in
  ``<name>_local`` (``Replicated*MergeTree`` at ``/clickhouse/tables/{shard}/{database}/{table}``)
  and read or written through a ``Distributed`` table under the plain name, so the collector and
  Vigie use the same names in both layouts. A table created without a sharding key is a small
  service table kept whole on every node (one replication path for the whole cluster).

See docs/schema.md for the layout and the rules every migration follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigie.errors import ConfigError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

# Standard replication paths; {shard}, {replica}, {database} and {table} are server macros.
SHARDED_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
EVERYWHERE_PATH = "/clickhouse/tables/all/{database}/{table}"
REPLICA = "{replica}"
LOCAL_SUFFIX = "_local"


@dataclass(frozen=True)
class MigrationContext:
    """Where and how DDL runs. Names passed to the helpers are plain table names."""

    database: str
    cluster: str | None = None
    ttl_days: int = 30

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.database):
            raise ConfigError(f"invalid database name {self.database!r}")
        if self.cluster is not None and not _CLUSTER_NAME.match(self.cluster):
            raise ConfigError(f"VIGIE_CLICKHOUSE_CLUSTER: invalid cluster name {self.cluster!r}")
        if self.ttl_days < 0:
            raise ConfigError(f"VIGIE_TTL_DAYS: must be 0 or more, got {self.ttl_days}")

    @property
    def clustered(self) -> bool:
        return self.cluster is not None

    @property
    def on_cluster(self) -> str:
        """`` ON CLUSTER `name` `` in cluster mode, else nothing."""
        return f" ON CLUSTER `{self.cluster}`" if self.cluster is not None else ""

    def table(self, name: str) -> str:
        """The qualified name readers and writers use (the Distributed table on a cluster)."""
        return f"`{self.database}`.`{_checked(name)}`"

    def local(self, name: str) -> str:
        """The qualified name of the table holding the rows of a sharded table on this node."""
        suffix = LOCAL_SUFFIX if self.clustered else ""
        return f"`{self.database}`.`{_checked(name)}{suffix}`"

    def ttl(self, time_expr: str) -> str:
        """The exporter's TTL clause (``TTL <expr> + toIntervalDay(n)``), empty when TTL is 0."""
        if self.ttl_days == 0:
            return ""
        return f"TTL {time_expr} + toIntervalDay({self.ttl_days})"

    def engine(self, name: str = "MergeTree", *, sharded: bool = True, args: str = "") -> str:
        """``MergeTree()`` (or another family member); its Replicated form on a cluster."""
        if not self.clustered:
            return f"{name}({args})"
        path = SHARDED_PATH if sharded else EVERYWHERE_PATH
        extra = f", {args}" if args else ""
        return f"Replicated{name}('{path}', '{REPLICA}'{extra})"

    def create_table(
        self,
        name: str,
        columns: str,
        clauses: str,
        *,
        engine: str = "MergeTree",
        engine_args: str = "",
        shard_by: str | None = None,
    ) -> list[str]:
        """``CREATE TABLE IF NOT EXISTS`` for both layouts.

        ``columns`` is the text between the parentheses (columns, indexes, projections),
        ``clauses`` what follows the engine (PARTITION BY, ORDER BY, TTL, SETTINGS).
        With ``shard_by`` (a sharding expression) a cluster gets ``<name>_local`` plus a
        ``Distributed`` table named ``name``; without it the table is replicated whole to every
        node under its own name.
        """
        sharded = shard_by is not None
        storage = self.local(name) if sharded else self.table(name)
        engine_sql = self.engine(engine, sharded=sharded, args=engine_args)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {storage}{self.on_cluster} (\n{columns}\n)\n"
            f"ENGINE = {engine_sql}\n{clauses}"
        ]
        if self.clustered and shard_by is not None:
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {self.table(name)}{self.on_cluster} "
                f"AS {storage}\nENGINE = Distributed('{self.cluster}', '{self.database}', "
                f"'{_checked(name)}{LOCAL_SUFFIX}', {shard_by})"
            )
        return statements

    def create_materialized_view(self, name: str, *, to: str, query: str) -> list[str]:
        """A materialized view writing into ``to`` (its local table on a cluster).

        ``query`` must read the source through :meth:`local`: on a cluster the view fires on
        each node's inserts into the local table, and writes into that node's local target.
        """
        return [
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS {self.table(name)}{self.on_cluster}\n"
            f"TO {self.local(to)}\nAS {query}"
        ]


def _checked(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid table name {name!r}")
    return name
