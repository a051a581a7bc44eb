"""The FastAPI application: OTLP receiver, API, pages and health, on one port.

``create_app`` only declares routes; everything with a lifetime (write queue, scheduler,
incidents, Discord delivery, reports) is started by the lifespan through :mod:`vigie.runtime`
and stopped in reverse order, so that a graceful shutdown writes accepted telemetry first.
Tests pass their own store (bound to their database), environment, clock and Discord transport.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from vigie import __version__, runtime
from vigie.api import gate as gate_api
from vigie.api import incidents as incidents_api
from vigie.api import slos as slos_api
from vigie.ingest import receiver
from vigie.settings import Settings
from vigie.store import Store, connect
from vigie.store.migrations import migrate
from vigie.web import setup as web

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    store: Store | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    discord_transport: httpx.BaseTransport | None = None,
    migrate_on_start: bool = True,
    schedule: bool = True,
) -> FastAPI:
    """``environ`` holds the webhook secrets named in ``alerts/clubs.yaml`` (the CLI passes
    ``os.environ``); ``schedule=False`` leaves SLO evaluation to the caller (tests, replays)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        active = store if store is not None else connect(settings)
        if migrate_on_start:
            applied = migrate(active, settings)
            if applied:
                log.info("schema migrated", extra={"versions": applied})
        parts = runtime.start(
            settings,
            active,
            environ=environ or {},
            clock=clock,
            discord_transport=discord_transport,
            schedule=schedule,
        )
        state = app.state
        state.runtime = parts
        state.settings = settings
        state.store = active
        state.config = parts.config
        state.write_queue = parts.write_queue
        state.ingest = parts.ingest
        state.evaluator = parts.evaluator
        state.incidents = parts.incidents
        state.gate = parts.gate
        state.delivery = parts.delivery
        web.attach(app, parts.reports)
        log.info("vigie started", extra={"store": repr(active), "version": __version__})
        try:
            yield
        finally:
            parts.stop()
            if store is None:
                active.close()

    app = FastAPI(title="Vigie", version=__version__, lifespan=lifespan)
    app.include_router(receiver.router)
    app.include_router(slos_api.router)
    app.include_router(incidents_api.router)
    app.include_router(gate_api.router)
    web.include_routers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        queue = app.state.write_queue
        ready = queue.stats.store_available
        body = {"store_available": ready, "queued_rows": queue.stats.queued_rows}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
