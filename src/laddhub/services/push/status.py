"""What the outbox holds per partner, and the operator's remedies: retry failed pushes, purge them.

This is what `laddhub outbox ...` shows and does. Counting happens in SQL (one grouped query), so a status
stays cheap with a large backlog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, type_coerce, update

from laddhub.ocpi.common import ci_key
from laddhub.services.handshake import REGISTERED
from laddhub.services.publishing import FAILED, PENDING
from laddhub.store.push_records import CdrReceiptRecord, PushStatsRecord
from laddhub.store.tables import OutboxRecord, PartnerRecord
from laddhub.store.types import UtcDateTime
from laddhub.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class PartnerOutbox:
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


@dataclass(frozen=True, slots=True)
class CdrReceiptView:
    """A CDR we delivered and the URL under which the partner keeps it."""

    partner: str
    country_code: str
    party_id: str
    cdr_id: str
    location_url: str | None
    delivered_at: datetime


async def outbox_status(uow: UnitOfWork) -> list[PartnerOutbox]:
    """Per partner that is registered or has anything to show: backlog, failures, totals, last error."""
    session = uow.session
    backlog: dict[tuple[int, str], tuple[int, datetime | None, datetime | None]] = {}
    grouped = select(
        OutboxRecord.partner_id,
        OutboxRecord.state,
        func.count(),
        type_coerce(func.min(OutboxRecord.created_at), UtcDateTime()),
        type_coerce(func.min(OutboxRecord.next_attempt_at), UtcDateTime()),
    ).group_by(OutboxRecord.partner_id, OutboxRecord.state)
    for partner_id, state, count, first_created, first_due in (await session.execute(grouped)).all():
        backlog[(partner_id, state)] = (int(count), first_created, first_due)
    stats = {s.partner_id: s for s in (await session.execute(select(PushStatsRecord))).scalars()}
    receipts = dict(
        (
            await session.execute(
                select(CdrReceiptRecord.partner_id, func.count()).group_by(CdrReceiptRecord.partner_id)
            )
        ).all()
    )
    partners = (await session.execute(select(PartnerRecord).order_by(PartnerRecord.id))).scalars().all()
    result = []
    for partner in partners:
        pending, oldest, earliest = backlog.get((partner.id, PENDING), (0, None, None))
        failed = backlog.get((partner.id, FAILED), (0, None, None))[0]
        stat = stats.get(partner.id)
        if partner.status != REGISTERED and not pending and not failed and stat is None:
            continue
        result.append(
            PartnerOutbox(
                partner_id=partner.id,
                name=partner.name,
                status=partner.status,
                pending=pending,
                failed=failed,
                oldest_pending_at=oldest,
                next_attempt_at=earliest,
                delivered=stat.delivered if stat else 0,
                last_delivered_at=stat.last_delivered_at if stat else None,
                last_error=stat.last_error if stat else None,
                last_error_at=stat.last_error_at if stat else None,
                cdr_receipts=int(receipts.get(partner.id, 0)),
            )
        )
    return result


async def retry_failed(uow: UnitOfWork, *, now: datetime, partner_id: int | None = None) -> int:
    """Make FAILED pushes PENDING again, due now with a fresh backoff; commit; return how many.

    For after the cause is fixed (the partner accepted a correction, or we fixed the object): the entries
    go out again in their original order within their groups.
    """
    statement = update(OutboxRecord).where(OutboxRecord.state == FAILED)
    if partner_id is not None:
        statement = statement.where(OutboxRecord.partner_id == partner_id)
    result = await uow.session.execute(
        statement.values(
            state=PENDING, attempts=0, next_attempt_at=now, locked_until=None, locked_by=None
        ).execution_options(synchronize_session=False)
    )
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_failed(uow: UnitOfWork, *, partner_id: int | None = None) -> int:
    """Delete FAILED pushes for good; commit; return how many. The partner can still pull the data."""
    statement = delete(OutboxRecord).where(OutboxRecord.state == FAILED)
    if partner_id is not None:
        statement = statement.where(OutboxRecord.partner_id == partner_id)
    result = await uow.session.execute(statement.execution_options(synchronize_session=False))
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def cdr_receipts(
    uow: UnitOfWork, *, partner_id: int | None = None, cdr_id: str | None = None, limit: int = 100
) -> Sequence[CdrReceiptView]:
    """The latest CDR receipts (newest first), of one partner or CDR id if given."""
    statement = select(CdrReceiptRecord, PartnerRecord.name).join(
        PartnerRecord, PartnerRecord.id == CdrReceiptRecord.partner_id
    )
    if partner_id is not None:
        statement = statement.where(CdrReceiptRecord.partner_id == partner_id)
    if cdr_id is not None:
        statement = statement.where(CdrReceiptRecord.cdr_key == ci_key(cdr_id))
    statement = statement.order_by(CdrReceiptRecord.delivered_at.desc(), CdrReceiptRecord.id.desc()).limit(
        limit
    )
    rows = (await uow.session.execute(statement)).all()
    return [
        CdrReceiptView(
            partner=name,
            country_code=r.country_code,
            party_id=r.party_id,
            cdr_id=r.cdr_id,
            location_url=r.location_url,
            delivered_at=r.delivered_at,
        )
        for r, name in rows
    ]
