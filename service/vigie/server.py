"""The composition root: the one place that assembles Vigie's HTTP application.

:func:`create_app` declares every route (OTLP receiver, API, pages, health) and a lifespan that
builds the runtime once (:mod:`vigie.runtime`) and installs its services as typed dependencies
(:mod:`vigie.api.deps`). :func:`api_app` installs services the caller built (tests, tools).

Auth fails closed: :func:`vigie.api.auth.check_guarded` refuses to build an app in which a
route outside :data:`PUBLIC` does not require a principal.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from vigie import __version__, local, runtime
from vigie.api import deps
from vigie.api import gate as gate_api
from vigie.api import incidents as incidents_api
from vigie.api import reports as reports_api
from vigie.api import slos as slos_api
from vigie.api import tokens as tokens_api
from vigie.api.auth import check_guarded, require_principal
from vigie.config import load_config
from vigie.errors import StoreError
from vigie.ingest import receiver
from vigie.notify.direct import EvaluationWatch, admin_post
from vigie.notify.discord import WebhookClient
from vigie.settings import Settings
from vigie.startup import Startup
from vigie.store import Store, connect
from vigie.store.migrations import migrate
from vigie.web import docs, guard, pages

log = logging.getLogger(__name__)

GATE = "/api/v1/gate/{club}/{app}"
LOCAL_LABEL = "vigie CLI (local)"
HEALTH = ("/healthz", "/readyz")


def public_paths() -> frozenset[str]:
    """Routes answered without a token: health, the OTLP receiver (its own auth), the gate
    (Argo holds no token; it tells only a verdict), the login form and the API's docs (the
    OpenAPI schema is public, as FastAPI serves it)."""
    otlp = {getattr(r, "path", "") for r in receiver.router.routes}
    documentation = {getattr(r, "path", "") for r in docs.router.routes}
    return frozenset({*HEALTH, *otlp, GATE, "/login", *documentation})


def _routes(app: FastAPI) -> None:
    app.include_router(receiver.router)
    app.include_router(slos_api.router)
    app.include_router(incidents_api.router)
    app.include_router(gate_api.router)
    app.include_router(reports_api.router)
    app.include_router(tokens_api.router)
    app.include_router(pages.login_router)
    app.include_router(docs.router)
    app.include_router(pages.router)
    app.add_exception_handler(guard.LoginRequired, guard.login_redirect)
    app.add_exception_handler(StoreError, _store_failed)
    app.add_exception_handler(RequestValidationError, _invalid)


def _checked(app: FastAPI) -> FastAPI:
    check_guarded(app, public_paths(), guards=(require_principal, guard.page_principal))
    return app


def _store_failed(request: Request, exc: Exception) -> JSONResponse:
    """Any store failure a handler did not map: 503 without the SQL or the driver's text
    (those go to the log, never to the client)."""
    log.warning("request failed on the store", extra={"path": request.url.path, "error": str(exc)})
    return JSONResponse({"detail": "the store is unavailable, try again later"}, status_code=503)


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field and what is wrong with it: no input echoed, no exception text."""
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def services_of(parts: runtime.Runtime) -> deps.Services:
    """What the HTTP handlers use, out of the running parts."""
    return deps.Services(
        config=parts.config, incidents=parts.incidents, reports=parts.reports,
        evaluator=parts.evaluator, gate=parts.gate, tokens=parts.tokens, audit=parts.audit,
        clock=parts.clock, public_url=parts.settings.public_url,
    )  # fmt: skip


def _forget_local_credential(
    settings: Settings, parts: runtime.Runtime, token_ids: list[str]
) -> None:
    credential = local.credential_path(settings)
    if credential is None or not token_ids:
        return
    credential.unlink(missing_ok=True)
    try:
        for token_id in token_ids:
            parts.tokens.revoke(token_id)
    except StoreError as exc:
        log.warning("local CLI token not revoked", extra={"error": str(exc)})


def api_app(services: deps.Services) -> FastAPI:
    """Every route over services built by the caller (no runtime, no lifespan)."""
    app = FastAPI(title="Vigie", version=__version__, docs_url=None, redoc_url=None)
    _routes(app)
    deps.install(app, services)
    return _checked(app)


def create_app(
    settings: Settings,
    store: Store | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    discord_transport: httpx.BaseTransport | None = None,
    migrate_on_start: bool = True,
    schedule: bool = True,
    open_store: Callable[[], Store] | None = None,
    retry_delays_s: tuple[float, float] = (1.0, 60.0),
    local_url: str | None = None,
) -> FastAPI:
    """``environ`` holds the webhook secrets named in ``alerts/clubs.yaml`` (the CLI passes
    ``os.environ``); ``schedule=False`` leaves SLO evaluation to the caller (tests, replays).
    The store is ``store``, else what ``open_store`` (default: :func:`vigie.store.connect`)
    opens, retried from the first to the longest of ``retry_delays_s`` while it fails. With
    ``local_url`` (where this process listens) and the embedded store, the CLI's credential is
    written once ready (:mod:`vigie.local`)."""
    slot = deps.Slot()
    env = environ or {}
    config = load_config(settings.config_dir)
    watch = EvaluationWatch(
        admin_post(config.alerts, env, WebhookClient(transport=discord_transport)),
        clock,
        timedelta(seconds=settings.evaluation_alarm_after_s),
    )
    opened: list[Store] = []
    local_token: list[str] = []

    def attempt() -> runtime.Runtime:
        active = store
        if active is None:
            active = open_store() if open_store is not None else connect(settings)
            opened.append(active)
        if migrate_on_start:
            applied = migrate(active, settings)
            if applied:
                log.info("schema migrated", extra={"versions": applied})
        parts = runtime.start(
            settings, active, environ=env, clock=clock, discord_transport=discord_transport,
            schedule=schedule, watch=watch,
        )  # fmt: skip
        log.info("vigie started", extra={"store": repr(active), "version": __version__})
        return parts

    def ready(parts: runtime.Runtime) -> None:
        app.state.runtime = parts
        app.state.write_queue = parts.write_queue  # read by the OTLP receiver
        app.state.ingest = parts.ingest
        slot.services = services_of(parts)
        credential = local.credential_path(settings)
        if local_url is not None and credential is not None:
            # a previous run that died left its token valid: revoke it before making a new one
            now = parts.clock()
            for old in parts.tokens.list():
                if old.label == LOCAL_LABEL and old.state(now) == "active":
                    parts.tokens.revoke(old.token_id)
            token, info = parts.tokens.create("admin", label=LOCAL_LABEL)
            local.write_credential(credential, local_url, token)
            local_token.append(info.token_id)

    startup = Startup(attempt, ready, watch, first_delay_s=retry_delays_s[0],
                      max_delay_s=retry_delays_s[1])  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        startup.start()
        try:
            yield
        finally:
            slot.services = None
            parts = startup.stop()
            if parts is not None:
                _forget_local_credential(settings, parts, local_token)
                parts.stop()
            for active in opened:
                active.close()

    # docs_url=None: /docs is vigie.web.docs, with its assets served locally (no CDN)
    app = FastAPI(
        title="Vigie", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.vigie = slot
    app.state.startup = startup
    _routes(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        parts = startup.runtime
        if parts is None:
            body: dict[str, Any] = {"ready": False, "reason": startup.reason}
            return JSONResponse(body, status_code=503)
        queue = parts.write_queue
        ready = queue.stats.store_available
        body = {"ready": ready, "store_available": ready, "queued_rows": queue.stats.queued_rows}
        if not ready:
            body["reason"] = "the store refuses writes; telemetry waits in the queue"
        return JSONResponse(body, status_code=200 if ready else 503)

    return _checked(app)
