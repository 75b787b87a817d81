"""`/admin/outbox`: the outbox status, CDR receipts, retry and purge over the admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from laddhub.services.publishing import Change, publish
from laddhub.services.push import claims
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from tests.integration.conftest import Network, Node
from tests.integration.push.conftest import START, location_put
from tests.support.asgi import running

ADMIN = {"Authorization": "Bearer admin-secret"}


@pytest.fixture
async def node(network: Network) -> AsyncIterator[Node]:
    """A CPO node (its worker off) with partner `msp` (id 1): one push refused, one pending, one CDR."""
    cpo = network.make("cpo", "CPO:NL:CPO", admin_token="admin-secret", push_enabled=False)
    async with running(cpo.app):
        async with cpo.node.uow() as uow:
            partner = PartnerRecord(name="msp", status="REGISTERED", created_at=START, updated_at=START)
            partner.roles = [
                PartnerRoleRecord(role="EMSP", country_code="NL", party_id="MSP", business_details={})
            ]
            partner.endpoints = [
                PartnerEndpointRecord(identifier=m, interface_role="RECEIVER", url=f"http://msp.test/{m}")
                for m in ("locations", "cdrs")
            ]
            uow.partners.add(partner)
            await uow.commit()
        async with cpo.node.uow() as uow:
            await publish(uow, location_put("L1", 1), now=START)
            await publish(uow, location_put("L2", 1), now=START)
            cdr = {"country_code": "NL", "party_id": "CPO", "id": "C1"}
            await publish(uow, Change("cdrs", "POST", "", cdr, "cdr:C1", "cdr:C1", coalesce=False), now=START)
            await uow.commit()
        async with cpo.node.uow() as uow:
            taken = await claims.claim_due(
                uow, worker_id="w", now=START, lease=timedelta(seconds=60), limit=9
            )
        by_path = {c.path: c for c in taken}
        async with cpo.node.uow() as uow:
            await claims.record_failed(
                uow, by_path["/NL/CPO/L1"], worker_id="w", now=START, error="OCPI 2001"
            )
        async with cpo.node.uow() as uow:
            receipt = claims.CdrReceipt("NL", "CPO", "C1", "http://msp.test/cdrs/5")
            await claims.record_delivered(uow, by_path[""], worker_id="w", now=START, receipt=receipt)
        async with cpo.node.uow() as uow:
            await claims.release(uow, [by_path["/NL/CPO/L2"].id], worker_id="w")
        yield cpo


async def test_the_status_lists_each_partners_backlog(node: Node) -> None:
    response = await node.client.get("/admin/outbox", headers=ADMIN)
    assert response.status_code == 200
    [row] = response.json()
    assert (row["name"], row["pending"], row["failed"], row["delivered"], row["cdr_receipts"]) == (
        "msp",
        1,
        1,
        1,
        1,
    )
    assert row["last_error"] == "OCPI 2001"


async def test_cdr_receipts_say_where_the_partner_stored_each_cdr(node: Node) -> None:
    response = await node.client.get(
        "/admin/outbox/cdrs", params={"partner_id": 1, "cdr_id": "c1"}, headers=ADMIN
    )
    assert [(r["cdr_id"], r["location_url"]) for r in response.json()] == [("C1", "http://msp.test/cdrs/5")]


async def test_retry_and_purge_act_on_failed_pushes_only(node: Node) -> None:
    retried = await node.client.post("/admin/outbox/retry", params={"partner_id": 1}, headers=ADMIN)
    assert retried.json() == {"count": 1}
    async with node.node.uow() as uow:
        await uow.session.execute(
            update(OutboxRecord).where(OutboxRecord.path == "/NL/CPO/L1").values(state="FAILED")
        )
        await uow.commit()
    purged = await node.client.delete("/admin/outbox/failed", headers=ADMIN)
    assert purged.json() == {"count": 1}
    [row] = (await node.client.get("/admin/outbox", headers=ADMIN)).json()
    assert (row["pending"], row["failed"]) == (1, 0)


async def test_an_unknown_partner_is_404_and_no_admin_token_is_401(node: Node) -> None:
    assert (
        await node.client.post("/admin/outbox/retry", params={"partner_id": 99}, headers=ADMIN)
    ).status_code == 404
    assert (await node.client.get("/admin/outbox")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await node.client.delete("/admin/outbox/failed", headers=wrong)).status_code == 401
