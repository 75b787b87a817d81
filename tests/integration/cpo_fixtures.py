"""Shared pieces of the CPO integration tests: a migrated store with partners, and outbox readers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from laddhub.api.app import create_app
from laddhub.config import Settings
from laddhub.ocpi.client import Party
from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.services import handshake
from laddhub.services.cpo_data import CpoParties
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory
from laddhub.store.database import create_engine, session_factory
from laddhub.store.migrate import upgrade
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory
from tests.integration.conftest import Network, Node
from tests.support.asgi import HostRouter, running
from tests.support.databases import database_url
from tests.unit.ocpi import builders

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OURS = CpoParties((("NL", "LAD"),))
MODULES = ("locations", "tariffs", "sessions", "cdrs")


@dataclass(frozen=True)
class Pushed:
    partner: str
    method: str
    path: str
    payload: Any


@asynccontextmanager
async def cpo_store(backend: str, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    """A fresh CPO store with two registered eMSPs, msp-a (NL/AAA) and msp-b (NL/BBB)."""
    with database_url(backend, tmp_path) as url:
        engine = create_engine(url)
        await upgrade(engine)
        factory = UnitOfWorkFactory(session_factory(engine))
        async with factory() as work:
            for name, party in (("msp-a", "AAA"), ("msp-b", "BBB")):
                partner = PartnerRecord(name=name, status="REGISTERED", created_at=NOW, updated_at=NOW)
                partner.roles = [
                    PartnerRoleRecord(role="EMSP", country_code="NL", party_id=party, business_details={})
                ]
                partner.endpoints = [
                    PartnerEndpointRecord(identifier=m, interface_role="RECEIVER", url=f"http://{name}/{m}")
                    for m in MODULES
                ]
                work.partners.add(partner)
            await work.commit()
        try:
            yield factory
        finally:
            await engine.dispose()


async def partner_id(factory: UnitOfWorkFactory, name: str) -> int:
    async with factory() as work:
        partner = await work.partners.by_name(name)
    assert partner is not None
    return partner.id


async def add_token(factory: UnitOfWorkFactory, owner: str, **fields: Any) -> Token:
    """Store a token as if the partner `owner` had pushed it."""
    token = Token.model_validate(builders.token(**fields))
    owner_id = await partner_id(factory, owner)
    async with factory() as work:
        await work.tokens.upsert(token, partner_id=owner_id, now=NOW)
        await work.commit()
    return token


async def pushes(factory: UnitOfWorkFactory) -> list[Pushed]:
    """Every outbox entry, oldest first, with the partner's name and the parsed payload."""
    async with factory() as work:
        rows = (await work.session.execute(select(OutboxRecord).order_by(OutboxRecord.id))).scalars().all()
        names = {p.id: p.name for p in await work.partners.list()}
    return [
        Pushed(names[r.partner_id], r.method, r.path, json.loads(r.payload) if r.payload else None)
        for r in rows
    ]


async def clear_outbox(factory: UnitOfWorkFactory) -> None:
    async with factory() as work:
        for row in (await work.session.execute(select(OutboxRecord))).scalars():
            await work.session.delete(row)
        await work.commit()


def our_location(location_id: str = "LOC1", **changes: Any) -> dict[str, Any]:
    """A Location of NL/LAD with two EVSEs, without any last_updated (the node stamps them)."""
    evses = [
        builders.evse(uid=uid, evse_id=f"NL*LAD*E{uid}", connectors=[builders.connector(tariff_ids=["T1"])])
        for uid in ("E1", "E2")
    ]
    payload = builders.location(country_code="NL", party_id="LAD", id=location_id, evses=evses) | changes
    return strip_stamps(payload)


def strip_stamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_stamps(v) for k, v in value.items() if k != "last_updated"}
    if isinstance(value, list):
        return [strip_stamps(v) for v in value]
    return value


def our_tariff(tariff_id: str = "T1", **changes: Any) -> dict[str, Any]:
    return strip_stamps(builders.tariff(country_code="NL", party_id="LAD", id=tariff_id) | changes)


@dataclass
class Reader:
    """A partner calling the CPO node with its token (and, optionally, explicit routing headers)."""

    cpo: Node
    token: str

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.cpo.client.get(path, headers={**self.cpo.auth(self.token), **headers})

    async def request(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else None
        return await self.cpo.client.request(
            method,
            path,
            content=content,
            json=None if content is not None else body,
            headers={**self.cpo.auth(self.token), "Content-Type": "application/json", **headers},
        )

    async def data(self, path: str, **headers: str) -> Any:
        response = await self.get(path, **headers)
        assert response.status_code == 200, response.text
        assert response.json()["status_code"] == 1000, response.text
        return response.json()["data"]


async def connect(cpo: Node, other: Node) -> str:
    """Register `other` with the CPO (the CPO invites); return the token `other` calls the CPO with."""
    now = datetime.now(UTC)
    _, token_a = await handshake.invite(cpo.node.uow, other.name, now=now)
    await handshake.register_with(
        other.node.uow,
        name=cpo.name,
        versions_url=f"{cpo.base_url}/ocpi/versions",
        token_a=token_a,
        identity=NodeIdentity.from_settings(other.settings),
        clients=client_factory(other.node.http),
        now=lambda: datetime.now(UTC),
    )
    async with other.node.uow() as uow:
        at_other = await uow.partners.by_name(cpo.name)
    assert at_other is not None and at_other.outgoing_token
    return at_other.outgoing_token


@dataclass
class CpoWorld:
    """A CPO node (NL/CPO) with two registered eMSPs: msp-a (NL/AAA) and msp-b (NL/BBB)."""

    cpo: Node
    msp_a: Reader
    msp_b: Reader
    parties: CpoParties
    router: HostRouter

    @property
    def party(self) -> Party:
        return Party("NL", "CPO")

    async def partner_id(self, name: str) -> int:
        return await partner_id(self.cpo.node.uow, name)


@asynccontextmanager
async def cpo_world(network: Network, **settings: Any) -> AsyncIterator[CpoWorld]:
    cpo = network.make("cpo", "CPO:NL:CPO", push_enabled=False, **settings)
    msp_a = network.make("msp-a", "EMSP:NL:AAA", push_enabled=False)
    msp_b = network.make("msp-b", "EMSP:NL:BBB", push_enabled=False)
    async with running(cpo.app, msp_a.app, msp_b.app):
        token_a = await connect(cpo, msp_a)
        token_b = await connect(cpo, msp_b)
        yield CpoWorld(
            cpo, Reader(cpo, token_a), Reader(cpo, token_b), CpoParties((("NL", "CPO"),)), network.router
        )


@contextmanager
def node_network(backend: str, directory: Path) -> Iterator[Network]:
    """Like the `network` fixture, for fixtures that outlive one test (read-only test modules)."""
    router = HostRouter()
    with ExitStack() as stack:

        def make(name: str, roles: str, **settings: Any) -> Node:
            url = stack.enter_context(database_url(backend, directory))
            base = f"http://{name}.test"
            config = Settings(
                database_url=url, public_url=base, roles=roles, business_name=name.upper(), **settings
            )
            app = create_app(config, http=httpx.AsyncClient(transport=router, timeout=5))
            router.add(f"{name}.test", app)
            return Node(name, base, app, config, httpx.AsyncClient(transport=router, base_url=base))

        yield Network(router, make)


async def wipe(factory: UnitOfWorkFactory) -> None:
    """Empty the tables the CPO tests write (partners stay), so one database serves a whole module."""
    async with factory() as work:
        for table in ("outbox", "locations", "tariffs", "sessions", "cdrs", "tokens", "hub_client_info"):
            await work.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed table names)
        await work.commit()
