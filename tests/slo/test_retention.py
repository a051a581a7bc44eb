"""Which instants an evaluation can still read, against the TTLs that migrations give."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from vigie.settings import Settings
from vigie.slo.counts import LAST_SEEN_LOOKBACK
from vigie.slo.retention import Retention, check
from vigie.store import Store
from vigie.store.migrations import migrate
from vigie.store.migrations.m0010_slo_rollups import ACTIVITY
from vigie.store.migrations.m0011_slo_coarse_rollups import DAY, HOUR, MINUTE

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
PERIODS = {"30d": timedelta(days=30)}
KEPT = Retention.for_ttl(30)


def _check(at: datetime, retention: Retention = KEPT) -> object:
    return check(at, NOW, PERIODS, retention, LAST_SEEN_LOOKBACK)


@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=5), timedelta(days=3)])
def test_recent_instants_are_evaluable(age: timedelta) -> None:
    assert _check(NOW - age) is None


@pytest.mark.parametrize("ttl_days", [30, 0])
def test_an_old_instant_names_the_table_and_the_oldest_instant(ttl_days: int) -> None:
    retention = Retention.for_ttl(ttl_days)
    too_old = _check(NOW - timedelta(days=10), retention)
    assert too_old is not None
    # The 3-day windows reach 3 days behind the instant; 7-day tables bind at 4 days ago.
    assert too_old.kept == timedelta(days=7)  # type: ignore[attr-defined]
    oldest = too_old.oldest  # type: ignore[attr-defined]
    assert NOW - timedelta(days=4) <= oldest <= NOW - timedelta(days=4) + timedelta(minutes=1)
    assert _check(oldest, retention) is None
    assert _check(oldest - timedelta(minutes=1), retention) is not None
    message = too_old.message()  # type: ignore[attr-defined]
    assert "keep 7 days" in message and oldest.isoformat() in message


def test_retention_follows_the_tables_ttl(store: Store, settings: Settings) -> None:
    migrate(store, settings)
    ddl = dict(store.query(
        "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
        {"db": store.database}).rows)

    def ttl_days(table: str) -> int | None:
        found = re.search(r"TTL \w+ \+ toIntervalDay\((\d+)\)", ddl[table])
        return int(found.group(1)) if found else None

    retention = Retention.for_ttl(settings.ttl_days)
    for table, kept in ((MINUTE, retention.minute), (HOUR, retention.hour),
                        (DAY, retention.day), (ACTIVITY, retention.activity)):
        assert kept is not None and ttl_days(table) == kept.days, table
