"""Versioned schema migrations: ``migrate(store, settings)`` brings the store up to date.

Migration modules live in this package as ``m<NNNN>_<slug>.py`` (0001-0009 foundation,
0010-0019 SLO engine, 0020-0029 incidents, 0030-0039 reports, 0040+ others); see
docs/schema.md for how to write one.
"""

from vigie.store.migrations.context import MigrationContext
from vigie.store.migrations.runner import (
    MIGRATIONS_TABLE,
    Migration,
    discover,
    migrate,
    pending,
)

__all__ = ["MIGRATIONS_TABLE", "Migration", "MigrationContext", "discover", "migrate", "pending"]
