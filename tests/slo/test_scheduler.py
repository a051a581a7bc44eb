from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from vigie.config.slo import SloFile
from vigie.settings import Settings
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluator
from vigie.slo.scheduler import start_scheduler
from vigie.store import Store
from vigie.store.migrations import migrate

TARGETS = targets_from_files(
    [
        SloFile.model_validate(
            {
                "app": "shop",
                "club": "cedille",
                "slos": [{"name": "avail", "objective": 99.9, "sli": {"kind": "availability"}}],
            }
        )
    ]
)


def wait_for(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_failed_cycles_are_counted_and_retried_until_the_store_answers(
    store: Store, settings: Settings
) -> None:
    evaluator = Evaluator(store, TARGETS, clock=lambda: datetime.now(UTC))
    scheduler = start_scheduler(evaluator, interval_s=0.2)
    try:
        # no rollup tables yet: every cycle fails, the scheduler keeps going
        wait_for(lambda: evaluator.failures >= 2)
        assert scheduler.running
        assert evaluator.latest is None
        migrate(store, settings)
        wait_for(lambda: evaluator.latest is not None)
        latest = evaluator.latest
        assert latest is not None
        assert latest.statuses[0].decision.state == "no_data"  # silence is never healthy
    finally:
        scheduler.shutdown(wait=True)


def test_the_job_never_overlaps_and_coalesces(store: Store) -> None:
    evaluator = Evaluator(store, TARGETS, clock=lambda: datetime.now(UTC))
    scheduler = start_scheduler(evaluator, interval_s=30)
    try:
        (job,) = scheduler.get_jobs()
        assert job.max_instances == 1
        assert job.coalesce is True
    finally:
        scheduler.shutdown(wait=False)
