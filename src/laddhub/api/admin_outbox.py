"""Admin API of the push outbox: `/admin/outbox` (the same as `laddhub outbox ...`, for a back office).

What waits for each partner, the CDRs partners accepted and where they stored them (the `Location`
header of their answers), and the remedies for failed pushes: send them again, or delete them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from laddhub.api.admin_auth import AdminRoute, require_admin
from laddhub.api.deps import Node
from laddhub.ocpi.status import NotFound
from laddhub.services.push import status as outbox
from laddhub.store.uow import UnitOfWorkFactory

router = APIRouter(
    prefix="/admin/outbox",
    tags=["admin: push outbox"],
    route_class=AdminRoute,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "Missing or wrong admin token, or the admin API is disabled"},
        404: {"description": "No such partner"},
    },
)

PartnerId = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="Only this partner (its id); default: every partner.")
]


class PartnerOutboxOut(BaseModel):
    """The push state of one partner."""

    partner_id: int
    name: str
    status: str
    pending: int
    failed: int
    oldest_pending_at: datetime | None
    next_attempt_at: datetime | None
    delivered: int
    last_delivered_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    cdr_receipts: int


class CdrReceiptOut(BaseModel):
    """A CDR a partner accepted, and the URL under which it keeps it (None: it sent no Location)."""

    partner: str
    country_code: str
    party_id: str
    cdr_id: str
    location_url: str | None
    delivered_at: datetime


class Count(BaseModel):
    """How many pushes an action affected."""

    count: int


async def _known(uow_factory: UnitOfWorkFactory, partner_id: int | None) -> None:
    if partner_id is None:
        return
    async with uow_factory() as uow:
        if await uow.partners.get(partner_id) is None:
            raise NotFound(f"no partner {partner_id}")


@router.get("", summary="Per partner: pending and failed pushes, deliveries, the last error")
async def outbox_status(node: Node) -> list[PartnerOutboxOut]:
    async with node.uow() as uow:
        rows = await outbox.outbox_status(uow)
    return [PartnerOutboxOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/cdrs", summary="Delivered CDRs and where each partner stored them, newest first")
async def cdr_receipts(
    node: Node,
    partner_id: PartnerId = None,
    cdr_id: Annotated[str | None, Query(max_length=39, description="Only this CDR id.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CdrReceiptOut]:
    await _known(node.uow, partner_id)
    async with node.uow() as uow:
        rows = await outbox.cdr_receipts(uow, partner_id=partner_id, cdr_id=cdr_id, limit=limit)
    return [CdrReceiptOut.model_validate(row, from_attributes=True) for row in rows]


@router.post("/retry", summary="Send failed pushes again (after the cause is fixed)")
async def retry_failed(node: Node, partner_id: PartnerId = None) -> Count:
    await _known(node.uow, partner_id)
    async with node.uow() as uow:
        return Count(count=await outbox.retry_failed(uow, now=node.clock(), partner_id=partner_id))


@router.delete("/failed", summary="Delete failed pushes for good (partners can still pull the data)")
async def purge_failed(node: Node, partner_id: PartnerId = None) -> Count:
    await _known(node.uow, partner_id)
    async with node.uow() as uow:
        return Count(count=await outbox.purge_failed(uow, partner_id=partner_id))
