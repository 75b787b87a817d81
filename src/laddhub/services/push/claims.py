"""Lease due outbox entries to one worker, and record what became of each delivery attempt.

An entry is *due* when it is PENDING, its `next_attempt_at` has come, nobody holds a live lease on it, its
partner is registered, and no older PENDING entry of the same (partner, group) exists: a group goes out
one entry at a time, in `id` order, so an EVSE PATCH never overtakes the PUT of its Location. FAILED
entries do not hold their group back.

Claiming sets a lease (`locked_until`, `locked_by`) in one short statement. On PostgreSQL the candidate
rows are selected `FOR UPDATE SKIP LOCKED`, so several worker processes share one outbox without waiting
on each other or taking the same entry; SQLite has a single writer and runs the same statement
atomically. A worker killed mid-delivery leaves its lease behind; once it expires the entry is due again
(delivery is at least once). Every later update is conditional on `locked_by`, so a worker whose lease
ran out and was taken over cannot overwrite the new holder's bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, exists, func, or_, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from laddhub.ocpi.common import ci_key
from laddhub.services.handshake import REGISTERED, UNREGISTERED
from laddhub.services.publishing import FAILED, PENDING
from laddhub.store.push_records import CdrReceiptRecord, PushStatsRecord
from laddhub.store.tables import OutboxRecord, PartnerRecord
from laddhub.store.types import UtcDateTime
from laddhub.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Claim:
    """An outbox entry leased to this worker for one delivery attempt; `attempts` counts this one."""

    id: int
    partner_id: int
    module: str
    method: str
    path: str
    payload: str | None
    object_key: str
    attempts: int
    to_country_code: str | None = None
    to_party_id: str | None = None


@dataclass(frozen=True, slots=True)
class CdrReceipt:
    """Where a partner stored a CDR we POSTed (its `Location` header; None if it sent none)."""

    country_code: str
    party_id: str
    cdr_id: str
    location_url: str | None


def _unleased(entry: Any, now: datetime) -> Any:
    return or_(entry.locked_until.is_(None), entry.locked_until < now)


def _registered_partners() -> Any:
    return select(PartnerRecord.id).where(PartnerRecord.status == REGISTERED)


def _group_heads(candidate: Any) -> Any:
    """PENDING entries with no older PENDING entry in their (partner, group)."""
    older = aliased(OutboxRecord)
    return (
        candidate.state == PENDING,
        candidate.partner_id.in_(_registered_partners()),
        ~exists().where(
            older.partner_id == candidate.partner_id,
            older.group_key == candidate.group_key,
            older.state == PENDING,
            older.id < candidate.id,
        ),
    )


async def claim_due(
    uow: UnitOfWork, *, worker_id: str, now: datetime, lease: timedelta, limit: int
) -> list[Claim]:
    """Lease up to `limit` due entries (oldest first) to `worker_id` until `now + lease`, and commit."""
    candidate = aliased(OutboxRecord)
    due = (
        select(candidate.id)
        .where(*_group_heads(candidate), candidate.next_attempt_at <= now, _unleased(candidate, now))
        .order_by(candidate.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=candidate)
    )
    statement = (
        update(OutboxRecord)
        .where(OutboxRecord.id.in_(due.scalar_subquery()))
        .values(locked_until=now + lease, locked_by=worker_id, attempts=OutboxRecord.attempts + 1)
        .returning(
            OutboxRecord.id,
            OutboxRecord.partner_id,
            OutboxRecord.module,
            OutboxRecord.method,
            OutboxRecord.path,
            OutboxRecord.payload,
            OutboxRecord.object_key,
            OutboxRecord.attempts,
            OutboxRecord.to_country_code,
            OutboxRecord.to_party_id,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await uow.session.execute(statement)).all()
    await uow.commit()
    return sorted((Claim(**row._asdict()) for row in rows), key=lambda claim: claim.id)


async def next_due_at(uow: UnitOfWork) -> datetime | None:
    """When the earliest entry that is not blocked behind another one becomes claimable, if any.

    Lets an idle worker sleep exactly until a retry is due instead of polling blindly. An entry under a
    lease becomes claimable when the lease runs out.
    """
    due_at = case(
        (OutboxRecord.locked_until > OutboxRecord.next_attempt_at, OutboxRecord.locked_until),
        else_=OutboxRecord.next_attempt_at,
    )
    earliest = type_coerce(func.min(due_at), UtcDateTime())
    result = await uow.session.execute(
        select(earliest).select_from(OutboxRecord).where(*_group_heads(OutboxRecord))
    )
    return result.scalar_one_or_none()


def _mine(claim: Claim, worker_id: str) -> Any:
    return (OutboxRecord.id == claim.id, OutboxRecord.locked_by == worker_id)


def _as_claimed(claim: Claim) -> Any:
    return OutboxRecord.payload.is_not_distinct_from(claim.payload)


async def _resend_if_merged(uow: UnitOfWork, claim: Claim, worker_id: str, now: datetime) -> None:
    """Make the entry due again if a PATCH was merged into it while it was out for delivery.

    `publish` merges a new PATCH into the latest pending one when it sees no live lease, and a claim can
    land between that check and the merge's write: the partner then got the payload as it was claimed,
    not the merged one. Releasing the entry sends the merged payload next instead of losing it.
    """
    await uow.session.execute(
        update(OutboxRecord)
        .where(*_mine(claim, worker_id))
        .values(next_attempt_at=now, locked_until=None, locked_by=None, attempts=0, last_error=None)
        .execution_options(synchronize_session=False)
    )


async def record_delivered(
    uow: UnitOfWork, claim: Claim, *, worker_id: str, now: datetime, receipt: CdrReceipt | None
) -> None:
    """The partner acknowledged the push: remove the entry, count it, keep a CDR's receipt; commit.

    An entry whose payload changed meanwhile (a merged PATCH) stays, due at once, for its new content.
    """
    deleted = await uow.session.execute(
        delete(OutboxRecord)
        .where(*_mine(claim, worker_id), _as_claimed(claim))
        .execution_options(synchronize_session=False)
    )
    if not getattr(deleted, "rowcount", 0):
        await _resend_if_merged(uow, claim, worker_id, now)
    await _upsert(
        uow,
        PushStatsRecord,
        ["partner_id"],
        {"partner_id": claim.partner_id, "delivered": 1, "last_delivered_at": now},
        {"delivered": PushStatsRecord.delivered + 1, "last_delivered_at": now},
    )
    if receipt is not None:
        values = {
            "partner_id": claim.partner_id,
            "country_code": ci_key(receipt.country_code),
            "party_id": ci_key(receipt.party_id),
            "cdr_id": receipt.cdr_id,
            "cdr_key": ci_key(receipt.cdr_id),
            "location_url": receipt.location_url,
            "delivered_at": now,
        }
        await _upsert(
            uow,
            CdrReceiptRecord,
            ["partner_id", "country_code", "party_id", "cdr_key"],
            values,
            {"location_url": receipt.location_url, "delivered_at": now},
        )
    await uow.commit()


async def record_retry(
    uow: UnitOfWork, claim: Claim, *, worker_id: str, now: datetime, retry_at: datetime, error: str
) -> None:
    """The partner could not take the push now: keep the entry PENDING until `retry_at`; commit."""
    await uow.session.execute(
        update(OutboxRecord)
        .where(*_mine(claim, worker_id))
        .values(next_attempt_at=retry_at, locked_until=None, locked_by=None, last_error=error)
        .execution_options(synchronize_session=False)
    )
    await _note_error(uow, claim.partner_id, now, error)
    await uow.commit()


async def record_replaced(
    uow: UnitOfWork, claim: Claim, *, worker_id: str, now: datetime, payload: str, error: str
) -> None:
    """Turn a PATCH the partner could not apply into a PUT of the whole object, due at once; commit.

    If a PATCH was merged into the entry meanwhile, the stored object already includes its change, so the
    PUT replaces the merged content as well.
    """
    await uow.session.execute(
        update(OutboxRecord)
        .where(*_mine(claim, worker_id))
        .values(
            method="PUT",
            payload=payload,
            next_attempt_at=now,
            locked_until=None,
            locked_by=None,
            last_error=error,
        )
        .execution_options(synchronize_session=False)
    )
    await _note_error(uow, claim.partner_id, now, error)
    await uow.commit()


async def record_failed(uow: UnitOfWork, claim: Claim, *, worker_id: str, now: datetime, error: str) -> None:
    """The partner refused the push for good: mark the entry FAILED (its group goes on); commit.

    If a PATCH was merged into the entry meanwhile, its new content was never offered: it is sent instead.
    """
    failed = await uow.session.execute(
        update(OutboxRecord)
        .where(*_mine(claim, worker_id), _as_claimed(claim))
        .values(state=FAILED, locked_until=None, locked_by=None, last_error=error)
        .execution_options(synchronize_session=False)
    )
    if not getattr(failed, "rowcount", 0):
        await _resend_if_merged(uow, claim, worker_id, now)
    await _note_error(uow, claim.partner_id, now, error)
    await uow.commit()


async def release(uow: UnitOfWork, claim_ids: list[int], *, worker_id: str) -> None:
    """Give leases back without an outcome (the worker is stopping), so the entries are due at once."""
    if not claim_ids:
        return
    await uow.session.execute(
        update(OutboxRecord)
        .where(OutboxRecord.id.in_(claim_ids), OutboxRecord.locked_by == worker_id)
        .values(locked_until=None, locked_by=None)
        .execution_options(synchronize_session=False)
    )
    await uow.commit()


async def drop_unregistered(uow: UnitOfWork) -> int:
    """Delete the entries of partners we are no longer registered with; commit; return how many."""
    gone = select(PartnerRecord.id).where(PartnerRecord.status == UNREGISTERED)
    result = await uow.session.execute(
        delete(OutboxRecord)
        .where(OutboxRecord.partner_id.in_(gone))
        .execution_options(synchronize_session=False)
    )
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def _note_error(uow: UnitOfWork, partner_id: int, now: datetime, error: str) -> None:
    await _upsert(
        uow,
        PushStatsRecord,
        ["partner_id"],
        {"partner_id": partner_id, "delivered": 0, "last_error": error, "last_error_at": now},
        {"last_error": error, "last_error_at": now},
    )


async def _upsert(
    uow: UnitOfWork,
    record: type[PushStatsRecord] | type[CdrReceiptRecord],
    keys: list[str],
    values: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    """INSERT or, when the key exists, UPDATE in one statement, so concurrent workers never collide."""
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(record).values(**values).on_conflict_do_update(index_elements=keys, set_=changes)
    await uow.session.execute(statement)
