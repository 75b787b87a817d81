"""The FastAPI application of one node: OCPI routers, error handling, and start-up of the store."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from laddhub import __version__
from laddhub.api import admin, admin_chargers, admin_outbox, openapi_bodies, versions
from laddhub.api.context import Clock, NodeContext, utc_now
from laddhub.api.errors import install_error_handlers
from laddhub.api.middleware import RequestIdMiddleware, TrailingSlashMiddleware
from laddhub.api.v2_2_1 import (
    charging_preferences,
    chargingprofiles,
    commands,
    cpo_senders,
    credentials,
    emsp_receivers,
    hubclientinfo,
    tokens_receiver,
)
from laddhub.chargers.activity import start_charging_activity
from laddhub.config import Settings
from laddhub.services.push.worker import start_push_worker
from laddhub.store.database import create_engine, session_factory
from laddhub.store.migrate import upgrade
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub")


def create_app(
    settings: Settings,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
    migrate: bool = True,
) -> FastAPI:
    """Build a node. `http` lets tests route partner calls in-process; by default a real client is made."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.effective_database_url)
        if migrate:
            await upgrade(engine)
        own_http = http is None
        client = http or httpx.AsyncClient(timeout=settings.partner_timeout_s, follow_redirects=False)
        app.state.node = NodeContext(
            settings=settings, uow=UnitOfWorkFactory(session_factory(engine)), http=client, clock=clock
        )
        app.state.clock = clock
        worker = start_push_worker(settings, uow=app.state.node.uow, http=client, clock=clock, engine=engine)
        charging = start_charging_activity(settings, uow=app.state.node.uow, http=client, clock=clock)
        app.state.charging = charging
        try:
            yield
        finally:
            await charging.stop()
            if worker is not None:
                await worker.stop()
            if own_http:
                await client.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Laddhub OCPI node",
        version=__version__,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    install_error_handlers(app)
    openapi_bodies.install(app)
    app.include_router(versions.router)
    app.include_router(credentials.router)
    app.include_router(emsp_receivers.router)
    app.include_router(cpo_senders.router)
    app.include_router(tokens_receiver.router)
    app.include_router(hubclientinfo.router)
    app.include_router(admin.router)
    app.include_router(admin_chargers.router)
    app.include_router(admin_outbox.router)
    app.include_router(commands.router)
    app.include_router(chargingprofiles.router)
    app.include_router(charging_preferences.router)
    app.add_middleware(TrailingSlashMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
