"""Shared pieces of the CPO integration tests: a migrated store with partners, and outbox readers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.services.cpo_data import CpoParties
from laddhub.store.database import create_engine, session_factory
from laddhub.store.migrate import upgrade
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory
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
