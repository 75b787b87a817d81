"""A store with partners, a fake partner platform, a settable clock and workers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from laddhub.services.identity import NodeIdentity, RoleIdentity
from laddhub.services.partner_clients import client_factory
from laddhub.services.publishing import Change, publish
from laddhub.services.push.backoff import Backoff
from laddhub.services.push.worker import PushWorker, WorkerSettings
from laddhub.store.database import create_engine, session_factory
from laddhub.store.migrate import upgrade
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory
from tests.support.databases import database_url

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
US = NodeIdentity("http://cpo.test", (RoleIdentity("CPO", "NL", "CPO", "CPO", None),))
MODULES = ("locations", "tariffs", "sessions", "cdrs")


class Clock:
    """The time the worker and the tests agree on; advanced by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


Reply = Callable[[httpx.Request], Awaitable[httpx.Response] | httpx.Response]


def ok(status: int = 1000, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"status_code": status, "timestamp": "2026-11-24T12:00:00Z"}
    return httpx.Response(200, json=body, headers=headers)


@dataclass
class FakePartner:
    """An eMSP platform that records every push and answers with `reply` (OCPI success by default)."""

    reply: Reply = field(default=lambda request: ok())
    received: list[httpx.Request] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        answer = self.reply(request)
        return await answer if isinstance(answer, Awaitable) else answer

    def calls(self) -> list[tuple[str, str, Any]]:
        return [(r.method, r.url.path, json.loads(r.content) if r.content else None) for r in self.received]


@dataclass
class Store:
    uow: UnitOfWorkFactory
    engine: AsyncEngine
    clock: Clock
    fake: FakePartner
    transport: httpx.MockTransport
    workers: list[PushWorker] = field(default_factory=list)
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def add_partner(self, name: str = "msp", status: str = "REGISTERED", party: str = "MSP") -> int:
        async with self.uow() as uow:
            partner = PartnerRecord(
                name=name,
                status=status,
                version="2.2.1",
                outgoing_token=f"token-for-{name}",
                created_at=START,
                updated_at=START,
            )
            partner.roles = [
                PartnerRoleRecord(role="EMSP", country_code="NL", party_id=party, business_details={})
            ]
            partner.endpoints = [
                PartnerEndpointRecord(
                    identifier=m, interface_role="RECEIVER", url=f"http://{name}.test/ocpi/2.2.1/emsp/{m}/"
                )
                for m in MODULES
            ]
            uow.partners.add(partner)
            await uow.commit()
            return partner.id

    async def publish(self, *changes: Change) -> None:
        async with self.uow() as uow:
            for change in changes:
                await publish(uow, change, now=self.clock())
            await uow.commit()

    async def entries(self) -> list[OutboxRecord]:
        async with self.uow() as uow:
            return list((await uow.session.execute(select(OutboxRecord).order_by(OutboxRecord.id))).scalars())

    def worker(
        self,
        *,
        concurrency: int = 4,
        lease_s: float = 60,
        poll_s: float = 0.05,
        seed: int = 1,
        uow: UnitOfWorkFactory | None = None,
    ) -> PushWorker:
        config = WorkerSettings(
            poll_interval_s=poll_s,
            backoff=Backoff(base_s=10, cap_s=80),
            lease=timedelta(seconds=lease_s),
            batch_size=20,
            concurrency=concurrency,
            grace_s=1,
        )
        worker_id = f"worker-{len(self.workers) + 1}"
        # Each worker calls through its own client, which names it, so tests can tell who sent what.
        http = httpx.AsyncClient(transport=self.transport, headers={"X-Test-Worker": worker_id})
        self.clients.append(http)
        worker = PushWorker(
            uow or self.uow,
            client_factory(http),
            US,
            config,
            clock=self.clock,
            worker_id=worker_id,
            rng=Random(seed),
        )
        self.workers.append(worker)
        return worker

    async def drain(self, worker: PushWorker | None = None) -> int:
        """Run a worker step by step until nothing is due; return how many attempts it made."""
        worker = worker or self.worker()
        total = 0
        while count := await worker.run_once():
            total += count
        return total


@pytest.fixture
async def store(backend: str, tmp_path: Path) -> AsyncIterator[Store]:
    with database_url(backend, tmp_path) as url:
        engine = create_engine(url)
        await upgrade(engine)
        fake = FakePartner()
        transport = httpx.MockTransport(fake.handle)
        result = Store(UnitOfWorkFactory(session_factory(engine)), engine, Clock(), fake, transport)
        try:
            yield result
        finally:
            for worker in result.workers:
                await worker.stop()
            for client in result.clients:
                await client.aclose()
            await engine.dispose()


def location_put(location_id: str, version: int) -> Change:
    payload = {"country_code": "NL", "party_id": "CPO", "id": location_id, "name": f"v{version}"}
    return Change("locations", "PUT", f"/NL/CPO/{location_id}", payload, location_id, location_id)


def evse_patch(location_id: str, evse_uid: str, status: str, stamp: int = 0) -> Change:
    payload = {"status": status, "last_updated": f"2026-11-24T12:00:{stamp:02d}Z"}
    return Change(
        "locations",
        "PATCH",
        f"/NL/CPO/{location_id}/{evse_uid}",
        payload,
        location_id,
        f"{location_id}/{evse_uid}",
    )


async def eventually(condition: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    """Wait for a condition the background worker makes true."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
