"""Fan-out and coalescing of pushes in the outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from laddhub.services.publishing import Change, publish
from laddhub.store.database import create_engine, session_factory
from laddhub.store.migrate import upgrade
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory
from tests.support.databases import database_url

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
async def uow(backend: str, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    with database_url(backend, tmp_path) as url:
        engine = create_engine(url)
        await upgrade(engine)
        factory = UnitOfWorkFactory(session_factory(engine))
        async with factory() as work:
            for name, role, party, modules, status in (
                ("msp-a", "EMSP", "AAA", ("locations", "sessions", "cdrs"), "REGISTERED"),
                ("msp-b", "EMSP", "BBB", ("locations",), "REGISTERED"),
                ("gone", "EMSP", "GGG", ("locations",), "UNREGISTERED"),
                ("other-cpo", "CPO", "CCC", ("locations",), "REGISTERED"),
            ):
                partner = PartnerRecord(name=name, status=status, created_at=NOW, updated_at=NOW)
                partner.roles = [
                    PartnerRoleRecord(role=role, country_code="NL", party_id=party, business_details={})
                ]
                partner.endpoints = [
                    PartnerEndpointRecord(identifier=m, interface_role="RECEIVER", url=f"http://{name}/{m}")
                    for m in modules
                ]
                work.partners.add(partner)
            await work.commit()
        yield factory
        await engine.dispose()


async def entries(factory: UnitOfWorkFactory) -> list[tuple[str, str, str, dict[str, object] | None]]:
    async with factory() as work:
        rows = (await work.session.execute(select(OutboxRecord).order_by(OutboxRecord.id))).scalars().all()
        names = {p.id: p.name for p in await work.partners.list()}
    return [
        (names[r.partner_id], r.method, r.object_key, json.loads(r.payload) if r.payload else None)
        for r in rows
    ]


def location_put(status: str) -> Change:
    return Change("locations", "PUT", "/NL/LAD/L1", {"id": "L1", "s": status}, "L1", "L1")


def evse_patch(payload: dict[str, object]) -> Change:
    return Change("locations", "PATCH", "/NL/LAD/L1/E1", payload, "L1", "L1/E1")


async def test_changes_go_to_registered_receivers_of_the_module_with_a_receiving_role(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as work:
        assert await publish(work, location_put("a"), now=NOW) == 2
        await work.commit()
    assert [e[0] for e in await entries(uow)] == ["msp-a", "msp-b"]


async def test_audience_limits_to_the_token_owner(uow: UnitOfWorkFactory) -> None:
    change = Change(
        "sessions", "PUT", "/NL/LAD/S1", {"id": "S1"}, "S1", "S1", parties=frozenset({("NL", "AAA")})
    )
    async with uow() as work:
        await publish(work, change, now=NOW)
        await work.commit()
    assert [e[0] for e in await entries(uow)] == ["msp-a"]


async def test_put_replaces_pending_entries_of_its_object_and_children(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await publish(work, location_put("a"), now=NOW)
        await publish(work, evse_patch({"status": "CHARGING", "last_updated": "x"}), now=NOW)
        await publish(work, location_put("b"), now=NOW)
        await work.commit()
    assert [(e[1], e[3]) for e in await entries(uow) if e[0] == "msp-b"] == [("PUT", {"id": "L1", "s": "b"})]


async def test_patches_of_one_object_merge(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await publish(work, evse_patch({"status": "CHARGING", "last_updated": "1"}), now=NOW)
        await publish(work, evse_patch({"floor_level": "2", "last_updated": "2"}), now=NOW)
        await work.commit()
    assert [e[3] for e in await entries(uow) if e[0] == "msp-b"] == [
        {"status": "CHARGING", "floor_level": "2", "last_updated": "2"}
    ]


async def test_claimed_entries_are_not_coalesced_and_cdrs_never_are(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await publish(work, location_put("a"), now=NOW)
        await work.commit()
    async with uow() as work:
        for row in (await work.session.execute(select(OutboxRecord))).scalars():
            row.locked_until = NOW + timedelta(minutes=1)
        await work.commit()
    cdr = Change("cdrs", "POST", "", {"id": "C1"}, "C1", "C1", coalesce=False)
    async with uow() as work:
        await publish(work, location_put("b"), now=NOW)
        await publish(work, cdr, now=NOW)
        await publish(work, cdr, now=NOW)
        await work.commit()
    msp_a = [(e[1], e[3]) for e in await entries(uow) if e[0] == "msp-a"]
    assert msp_a == [
        ("PUT", {"id": "L1", "s": "a"}),
        ("PUT", {"id": "L1", "s": "b"}),
        ("POST", {"id": "C1"}),
        ("POST", {"id": "C1"}),
    ]
