"""A CPO node's push worker delivering to a real eMSP node in process: the receivers store what arrives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from laddhub.services.publishing import Change, publish
from laddhub.store.push_records import CdrReceiptRecord
from laddhub.store.tables import OutboxRecord
from tests.integration.conftest import Network, Node
from tests.integration.emsp.conftest import connect
from tests.support.asgi import running
from tests.unit.ocpi import builders

PATH = "/NL/CPO/LOC1"
GROUP = "locations:NL/CPO/LOC1"


@pytest.fixture
async def pair(network: Network) -> AsyncIterator[tuple[Node, Node]]:
    cpo = network.make("cpo", "CPO:NL:CPO", push_poll_interval_s=30)
    emsp = network.make("emsp", "EMSP:NL:MSP", push_enabled=False)
    async with running(cpo.app, emsp.app):
        await connect(cpo, emsp)
        yield cpo, emsp


async def push(cpo: Node, *changes: Change) -> None:
    async with cpo.node.uow() as uow:
        for change in changes:
            await publish(uow, change, now=datetime.now(UTC))
        await uow.commit()


async def settled(cpo: Node, timeout_s: float = 10) -> None:
    """Wait until the CPO's outbox is empty (everything acknowledged)."""
    for _ in range(int(timeout_s / 0.02)):
        async with cpo.node.uow() as uow:
            if not (await uow.session.execute(select(OutboxRecord.id))).first():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not drain")


async def stored_location(emsp: Node) -> dict[str, Any]:
    async with emsp.node.uow() as uow:
        record = await uow.locations.get("NL", "CPO", "LOC1")
    assert record is not None
    document: dict[str, Any] = json.loads(record.document)
    return document


async def test_location_put_and_evse_patch_arrive_in_order_and_the_copy_matches(
    pair: tuple[Node, Node],
) -> None:
    cpo, emsp = pair
    location = builders.location(
        country_code="NL", party_id="CPO", id="LOC1", last_updated="2026-11-24T10:00:00Z"
    )
    evse_uid = location["evses"][0]["uid"]
    patch = {"status": "CHARGING", "last_updated": "2026-11-24T10:05:00Z"}
    await push(
        cpo,
        Change("locations", "PUT", PATH, location, GROUP, GROUP),
        Change("locations", "PATCH", f"{PATH}/{evse_uid}", patch, GROUP, f"{GROUP}/{evse_uid}"),
    )
    await settled(cpo)  # the commit woke the worker: its poll interval is 30 s

    copy = await stored_location(emsp)
    assert copy["evses"][0]["status"] == "CHARGING"
    assert copy["evses"][0]["last_updated"] == copy["last_updated"] == "2026-11-24T10:05:00Z"
    async with emsp.node.uow() as uow:
        record = await uow.locations.get("NL", "CPO", "LOC1")
        partner = await uow.partners.by_name("cpo")
    assert record is not None and partner is not None and record.partner_id == partner.id


async def test_a_cdr_post_is_stored_by_the_emsp_and_its_location_recorded_by_the_cpo(
    pair: tuple[Node, Node],
) -> None:
    cpo, emsp = pair
    cdr = builders.cdr(
        country_code="NL", party_id="CPO", id="CDR1", cdr_token=builders.cdr_token(party_id="MSP")
    )
    change = Change("cdrs", "POST", "", cdr, "cdrs:NL/CPO/CDR1", "cdrs:NL/CPO/CDR1", coalesce=False)
    await push(cpo, change, change)  # the second delivery is acknowledged as the same CDR
    await settled(cpo)

    async with cpo.node.uow() as uow:
        [receipt] = (await uow.session.execute(select(CdrReceiptRecord))).scalars().all()
    assert receipt.location_url is not None
    assert receipt.location_url.startswith("http://emsp.test/ocpi/2.2.1/emsp/cdrs/")
    async with cpo.node.uow() as uow:
        at_cpo = await uow.partners.by_name("emsp")
    assert at_cpo is not None and at_cpo.outgoing_token
    fetched = await emsp.client.get(receipt.location_url, headers=emsp.auth(at_cpo.outgoing_token))
    assert fetched.json()["data"] == cdr
    async with emsp.node.uow() as uow:
        assert await uow.cdrs.get("NL", "CPO", "CDR1") is not None
