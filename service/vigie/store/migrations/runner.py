"""Find, check and apply the versioned migrations of this package.

Each migration is a module ``m<NNNN>_<slug>.py`` defining ``VERSION``, ``DESCRIPTION`` and
``statements(ctx) -> list[str]``. Applied versions are recorded in ``vigie_schema_migrations``
with a checksum of their statements; a recorded migration whose statements have since changed
stops the run (edit the schema with a new migration, never by rewriting an applied one).
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from vigie.errors import StoreError
from vigie.settings import Settings
from vigie.store.client import Store
from vigie.store.migrations.context import MigrationContext
from vigie.store.tables import SCHEMA_MIGRATIONS

MIGRATIONS_TABLE = SCHEMA_MIGRATIONS
_MODULE_NAME = re.compile(r"^m(\d{4})_[a-z0-9_]+$")
_LOOKS_LIKE_MIGRATION = re.compile(r"^m\d")

# Checksums are taken over the statements rendered in fixed contexts, one per layout, so that
# they change when a migration's text changes and not when the settings (database, TTL,
# cluster name) do.
_CHECKSUM_CONTEXTS = (
    MigrationContext(database="vigie", cluster=None, ttl_days=30),
    MigrationContext(database="vigie", cluster="cluster", ttl_days=30),
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Callable[[MigrationContext], list[str]]
    module: str

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for ctx in _CHECKSUM_CONTEXTS:
            for statement in self.statements(ctx):
                digest.update(statement.strip().encode())
                digest.update(b"\n;\n")
        return digest.hexdigest()


def discover(package: ModuleType | None = None) -> list[Migration]:
    """Every migration module of ``package`` (default: this one), sorted by version."""
    if package is None:
        package = importlib.import_module("vigie.store.migrations")
    found: dict[int, Migration] = {}
    for info in pkgutil.iter_modules(package.__path__):
        match = _MODULE_NAME.match(info.name)
        if match is None:
            if _LOOKS_LIKE_MIGRATION.match(info.name):
                raise ValueError(
                    f"{package.__name__}.{info.name}: migration modules are named m<NNNN>_<slug>"
                )
            continue
        migration = _load(f"{package.__name__}.{info.name}", int(match.group(1)))
        if migration.version in found:
            raise ValueError(
                f"migration version {migration.version} is defined twice: "
                f"{found[migration.version].module} and {migration.module}"
            )
        found[migration.version] = migration
    return [found[version] for version in sorted(found)]


def _load(name: str, number: int) -> Migration:
    module = importlib.import_module(name)
    version = getattr(module, "VERSION", None)
    description = getattr(module, "DESCRIPTION", None)
    statements = getattr(module, "statements", None)
    if version != number:
        raise ValueError(f"{name}: VERSION is {version!r}, its file name says {number}")
    if not isinstance(description, str) or not description:
        raise ValueError(f"{name}: DESCRIPTION must be a non-empty string")
    if not callable(statements):
        raise ValueError(f"{name}: statements(ctx) is missing")
    return Migration(number, description, statements, name)


def context_of(store: Store, settings: Settings) -> MigrationContext:
    return MigrationContext(
        database=store.database, cluster=settings.clickhouse_cluster, ttl_days=settings.ttl_days
    )


def pending(
    store: Store, settings: Settings, migrations: list[Migration] | None = None
) -> list[Migration]:
    """Migrations not applied yet, in order; refuses if an applied one has changed since."""
    ctx = context_of(store, settings)
    _ensure_ledger(store, ctx)
    available = discover() if migrations is None else migrations
    applied = _applied(store, ctx)
    changed = [m for m in available if m.version in applied and applied[m.version] != m.checksum]
    if changed:
        names = ", ".join(f"{m.version:04d} ({m.module})" for m in changed)
        raise StoreError(
            f"applied migration(s) {names} no longer match what was applied to "
            f"{store.database}.{MIGRATIONS_TABLE}: never edit an applied migration, "
            "add a new one instead"
        )
    return [m for m in available if m.version not in applied]


def migrate(
    store: Store, settings: Settings, migrations: list[Migration] | None = None
) -> list[int]:
    """Apply every pending migration in order; returns the versions applied (none: up to date)."""
    ctx = context_of(store, settings)
    done: list[int] = []
    for migration in pending(store, settings, migrations):
        for statement in migration.statements(ctx):
            store.command(statement)
        # Recorded only once all its statements ran; they are idempotent (IF NOT EXISTS), so a
        # run interrupted halfway is completed by the next one.
        store.insert(
            MIGRATIONS_TABLE,
            ("version", "description", "checksum"),
            [(migration.version, migration.description, migration.checksum)],
        )
        done.append(migration.version)
    return done


def _ensure_ledger(store: Store, ctx: MigrationContext) -> None:
    # Kept whole on every node of a cluster (no sharding key): every Vigie instance reads the
    # same ledger wherever it connects.
    for statement in ctx.create_table(
        MIGRATIONS_TABLE,
        "    version UInt32,\n"
        "    description String,\n"
        "    checksum String,\n"
        "    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)",
        "ORDER BY version",
    ):
        store.command(statement)


def _applied(store: Store, ctx: MigrationContext) -> dict[int, str]:
    result = store.query(
        f"SELECT version, argMax(checksum, applied_at) FROM {ctx.table(MIGRATIONS_TABLE)} "
        "GROUP BY version"
    )
    return {int(version): str(checksum) for version, checksum in result.rows}
