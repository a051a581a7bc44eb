"""The running service, assembled: every long-lived part of ``vigie serve`` and its order.

    ingest (write queue) → evaluate (scheduler) → decide (incidents) → notify (delivery)
                                                                    → report (drafts)

:func:`start` builds and starts them over one store; :meth:`Runtime.stop` stops them in reverse
order, so that accepted telemetry is written and queued notices are kept in the outbox before
the store closes. Everything from outside — settings, the environment holding webhook secrets,
the clock, the HTTP transport to Discord — is passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from apscheduler.schedulers.background import BackgroundScheduler

from vigie.access.audit import AuditTrail
from vigie.access.tokens import TokenStore
from vigie.config import Config, load_config
from vigie.gate.service import GateService
from vigie.incidents.lines import Links
from vigie.incidents.service import IncidentService
from vigie.ingest.pipeline import Ingest
from vigie.ingest.senders import Senders
from vigie.ingest.writer import WriteQueue
from vigie.notify.direct import EvaluationWatch
from vigie.notify.discord import WebhookClient
from vigie.notify.dispatcher import Delivery
from vigie.notify.weekly import WeeklyDigests
from vigie.reports.service import ReportService
from vigie.settings import Settings
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluation, Evaluator
from vigie.slo.scheduler import start_scheduler
from vigie.store import Store

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    config: Config
    ingest: Ingest
    write_queue: WriteQueue
    evaluator: Evaluator
    delivery: Delivery
    incidents: IncidentService
    reports: ReportService
    gate: GateService
    tokens: TokenStore
    audit: AuditTrail
    clock: Callable[[], datetime]
    watch: EvaluationWatch | None = None
    scheduler: BackgroundScheduler | None = None
    digests: WeeklyDigests | None = None  # Monday mornings, after an evaluation

    def after_evaluation(self, evaluation: Evaluation) -> None:
        """What each scheduled evaluation feeds: incidents, then drafts of resolved ones."""
        if self.watch is not None:
            self.watch.succeeded()
        self.reports.after_cycle(self.incidents.after_evaluation(evaluation))
        # notices a replay (`vigie evaluate`) left pending in the outbox go out too
        self.delivery.run_pending()
        if self.digests is not None:
            self.digests.after_evaluation()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.write_queue.close()
        self.delivery.stop()
        self.audit.stop()
        log.info(
            "vigie stopped",
            extra={
                "written_rows": self.write_queue.stats.written_rows,
                "dead_rows": self.write_queue.stats.dead_rows,
            },
        )


def start(
    settings: Settings,
    store: Store,
    *,
    environ: Mapping[str, str],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    discord_transport: httpx.BaseTransport | None = None,
    schedule: bool = True,
    watch: EvaluationWatch | None = None,
) -> Runtime:
    """Start every part over ``store``; ``schedule=False`` leaves evaluation to the caller.
    ``watch`` hears of every scheduled evaluation, failed or not."""
    config = load_config(settings.config_dir)
    queue = WriteQueue(
        store,
        max_rows=settings.ingest_queue_rows,
        batch_rows=settings.ingest_batch_rows,
        flush_interval_s=settings.ingest_flush_interval_s,
        commit_delay_s=settings.ingest_commit_delay_s,
        dead_letter_dir=_dead_letter_dir(settings),
    )
    queue.start()
    delivery = Delivery(
        store, config.alerts, environ, WebhookClient(transport=discord_transport), clock
    )
    delivery.start()
    incidents = IncidentService(
        store,
        config,
        Links.of(settings),
        clock=clock,
        delivery=delivery,
    )
    evaluator = build_evaluator(settings, store, config, clock)
    runtime = Runtime(
        settings=settings,
        store=store,
        config=config,
        ingest=Ingest.default(
            settings.ingest_max_body_bytes,
            Senders.from_config(config, environ, anonymous=settings.ingest_anonymous),
            ttl_days=settings.ttl_days,
            write_timeout_s=settings.ingest_write_timeout_s,
        ),
        write_queue=queue,
        evaluator=evaluator,
        delivery=delivery,
        incidents=incidents,
        reports=ReportService(incidents),
        gate=GateService(evaluator, incidents, clock),
        tokens=TokenStore(store, clock),
        audit=AuditTrail(store, clock),
        clock=clock,
        watch=watch,
    )
    runtime.audit.start()
    if schedule:  # scheduled work: evaluations, and the Monday digests after them
        runtime.digests = WeeklyDigests(store, config, incidents.links, clock, delivery)
        runtime.scheduler = start_scheduler(
            runtime.evaluator,
            interval_s=settings.evaluation_interval_s,
            on_evaluation=runtime.after_evaluation,
            on_failure=watch.failed if watch is not None else None,
        )
    return runtime


def build_evaluator(
    settings: Settings, store: Store, config: Config, clock: Callable[[], datetime]
) -> Evaluator:
    """The SLO evaluator of this configuration (``vigie serve`` and ``vigie evaluate``)."""
    return Evaluator(
        store,
        targets_from_files(config.slo_files),
        clock,
        stale_after=config.alerts.policy.no_data_after,
        # older than two cycles, an answer (the gate's) needs a new evaluation, or is a 503
        max_age=timedelta(seconds=2 * settings.evaluation_interval_s),
    )


def _dead_letter_dir(settings: Settings) -> Path:
    """Beside the embedded data directory, or under ./.vigie with a ClickHouse server."""
    dsn = settings.clickhouse_dsn
    if dsn.embedded:
        return Path(dsn.chdb_path).parent / "dead-letter"
    return Path(".vigie") / "dead-letter"
