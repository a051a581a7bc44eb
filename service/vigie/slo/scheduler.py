"""Runs :meth:`Evaluator.run_cycle` every ``interval_s`` seconds with APScheduler.

One run at a time (``max_instances=1``); ticks missed while a slow cycle ran are coalesced into
one run; the first cycle runs at once. The lag recorded with each cycle is how long after its
tick it started (ticks are ``anchor + k·interval``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from opentelemetry import trace

from vigie.slo.evaluator import Evaluation, Evaluator

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("vigie.slo")

JOB_ID = "vigie-slo-evaluation"
DEFAULT_INTERVAL_S = 30.0


def start_scheduler(
    evaluator: Evaluator,
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    on_evaluation: Callable[[Evaluation], object] | None = None,
    on_failure: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """Start evaluating in a background thread; stop with ``scheduler.shutdown()``.

    ``on_evaluation`` receives each successful evaluation (the incident and report stages),
    ``on_failure`` is called after each failed one.
    """
    anchor = datetime.now(UTC)

    def tick() -> None:
        elapsed = (datetime.now(UTC) - anchor).total_seconds()
        with _tracer.start_as_current_span("slo.cycle") as span:
            result = evaluator.run_cycle(lag_s=elapsed % interval_s)
            span.set_attribute("slo.evaluated", result is not None)
            if result is None and on_failure is not None:
                on_failure()
            if result is None or on_evaluation is None:
                return
            try:
                on_evaluation(result)
            except Exception:  # the edge of a scheduled job: the next tick retries
                log.exception("stages after the evaluation failed")

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        "interval",
        seconds=interval_s,
        start_date=anchor,
        next_run_time=anchor,
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(interval_s)),
    )
    scheduler.start()
    return scheduler
