"""The FastAPI application: OTLP receiver, health, and the API routers, on one port.

``create_app`` takes its settings and, optionally, an already open store (tests pass one bound to
their own database); everything with a lifetime — the write queue, the evaluation scheduler — is
started and stopped by the lifespan, so that a graceful shutdown flushes accepted telemetry.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from vigie import __version__
from vigie.ingest import receiver
from vigie.ingest.pipeline import Ingest
from vigie.ingest.writer import WriteQueue
from vigie.settings import Settings
from vigie.store import Store, connect
from vigie.store.migrations import migrate

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, store: Store | None = None, *, migrate_on_start: bool = True
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        active = store if store is not None else connect(settings)
        if migrate_on_start:
            applied = migrate(active, settings)
            if applied:
                log.info("schema migrated", extra={"versions": applied})
        queue = WriteQueue(
            active,
            max_rows=settings.ingest_queue_rows,
            batch_rows=settings.ingest_batch_rows,
            flush_interval_s=settings.ingest_flush_interval_s,
            dead_letter_dir=_dead_letter_dir(settings),
        )
        queue.start()
        app.state.settings = settings
        app.state.store = active
        app.state.write_queue = queue
        app.state.ingest = Ingest.default(settings.ingest_max_body_bytes)
        log.info("vigie started", extra={"store": repr(active), "version": __version__})
        try:
            yield
        finally:
            queue.close()
            log.info(
                "write queue flushed",
                extra={
                    "written_rows": queue.stats.written_rows,
                    "dead_rows": queue.stats.dead_rows,
                },
            )
            if own_store:
                active.close()

    app = FastAPI(title="Vigie", version=__version__, lifespan=lifespan)
    app.include_router(receiver.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        queue: WriteQueue = app.state.write_queue
        ready = queue.stats.store_available
        body = {"store_available": ready, "queued_rows": queue.stats.queued_rows}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app


def _dead_letter_dir(settings: Settings) -> Path:
    dsn = settings.clickhouse_dsn
    base = Path(dsn.chdb_path) if dsn.embedded else Path(".vigie")
    return base.parent / "dead-letter" if dsn.embedded else base / "dead-letter"
