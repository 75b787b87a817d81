"""Announce a change to every partner that should hear of it, by writing outbox entries.

`publish` runs inside the unit of work of the change itself, so a change and its pushes commit or roll
back together (the transactional outbox of ARCHITECTURE.md). Delivery is the push worker's job.

Coalescing keeps the outbox at the latest state per (partner, object): a PUT replaces every pending,
unclaimed entry of its object and of the objects under it (a Location PUT makes pending EVSE PATCHes of
that Location redundant); a PATCH merges into a pending PATCH of the same object. Entries with
`coalesce=False` (CDR POSTs) are never touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select

from laddhub.services.handshake import REGISTERED
from laddhub.store.tables import OutboxRecord, PartnerRecord
from laddhub.store.uow import UnitOfWork

PENDING = "PENDING"
FAILED = "FAILED"

# Which partner roles receive pushes of a module (digest §13: the Receiver column).
RECEIVING_ROLES: dict[str, frozenset[str]] = {
    "locations": frozenset({"EMSP", "NSP", "NAP", "HUB", "OTHER"}),
    "tariffs": frozenset({"EMSP", "NSP", "NAP", "HUB", "OTHER"}),
    "sessions": frozenset({"EMSP", "HUB", "SCSP"}),
    "cdrs": frozenset({"EMSP", "HUB"}),
    "tokens": frozenset({"CPO", "HUB"}),
    "chargingprofiles": frozenset({"EMSP", "SCSP", "HUB"}),
}


@dataclass(frozen=True)
class Change:
    """One push, before it is addressed to partners.

    `path` is appended to the partner's module endpoint URL ("/NL/LAD/LOC1/EVSE1"; "" for a CDR POST).
    `parties`, when given, limits the audience to partners holding one of these (country_code, party_id)
    roles, e.g. the eMSP owning a session's token.
    """

    module: str
    method: str
    path: str
    payload: dict[str, Any] | None
    group_key: str
    object_key: str
    coalesce: bool = True
    parties: frozenset[tuple[str, str]] | None = None
    appended_fields: frozenset[str] = field(default_factory=frozenset)


def receivers(partners: Iterable[PartnerRecord], change: Change) -> list[PartnerRecord]:
    """The registered partners that publish a Receiver endpoint for the module and may see the change."""
    roles = RECEIVING_ROLES.get(change.module, frozenset())
    chosen = []
    for partner in partners:
        if partner.status != REGISTERED:
            continue
        if not any(
            e.identifier == change.module and e.interface_role in (None, "RECEIVER")
            for e in partner.endpoints
        ):
            continue
        partner_roles = [r for r in partner.roles if r.role in roles]
        if not partner_roles:
            continue
        if change.parties is not None and not any(
            (r.country_code, r.party_id) in change.parties for r in partner_roles
        ):
            continue
        chosen.append(partner)
    return chosen


def addressee(partner: PartnerRecord, change: Change) -> tuple[str, str] | None:
    """The partner's party a change for some parties only is meant for (None: any receiving party)."""
    if change.parties is None:
        return None
    roles = RECEIVING_ROLES.get(change.module, frozenset())
    return next(
        (
            (r.country_code, r.party_id)
            for r in partner.roles
            if r.role in roles and (r.country_code, r.party_id) in change.parties
        ),
        None,
    )


def _merge_patch(old: dict[str, Any], new: dict[str, Any], appended: frozenset[str]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if key in appended and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged


async def publish(uow: UnitOfWork, change: Change, *, now: datetime) -> int:
    """Write the change to the outbox of every partner that should receive it; return how many."""
    partners = await uow.partners.registered()
    targets = receivers(partners, change)
    for partner in targets:
        await _enqueue(uow, partner.id, change, now, addressee(partner, change))
    return len(targets)


def _unclaimed(now: datetime) -> Any:
    return or_(OutboxRecord.locked_until.is_(None), OutboxRecord.locked_until < now)


async def _enqueue(
    uow: UnitOfWork, partner_id: int, change: Change, now: datetime, to_party: tuple[str, str] | None
) -> None:
    session = uow.session
    if change.coalesce and change.method == "PATCH" and change.payload is not None:
        latest = (
            await session.execute(
                select(OutboxRecord)
                .where(
                    OutboxRecord.partner_id == partner_id,
                    OutboxRecord.object_key == change.object_key,
                    OutboxRecord.state == PENDING,
                )
                .order_by(OutboxRecord.id.desc())
                .limit(1)
                # Lock the row: a worker claiming it between this read and the merge's write would
                # otherwise deliver the older payload and drop the merged change (PostgreSQL; SQLite has
                # a single writer anyway).
                .with_for_update()
            )
        ).scalar_one_or_none()
        if latest is not None and latest.method == "PATCH" and latest.payload and _is_unclaimed(latest, now):
            merged = _merge_patch(json.loads(latest.payload), change.payload, change.appended_fields)
            latest.payload = json.dumps(merged, separators=(",", ":"))
            return
    elif change.coalesce:
        await session.execute(
            delete(OutboxRecord)
            .where(
                OutboxRecord.partner_id == partner_id,
                OutboxRecord.coalesce.is_(True),
                OutboxRecord.state == PENDING,
                or_(
                    OutboxRecord.object_key == change.object_key,
                    OutboxRecord.object_key.startswith(change.object_key + "/", autoescape=True),
                ),
                _unclaimed(now),
            )
            .execution_options(synchronize_session=False)
        )
    session.add(
        OutboxRecord(
            partner_id=partner_id,
            module=change.module,
            method=change.method,
            path=change.path,
            payload=None if change.payload is None else json.dumps(change.payload, separators=(",", ":")),
            group_key=change.group_key,
            object_key=change.object_key,
            coalesce=change.coalesce,
            state=PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            to_country_code=to_party[0] if to_party else None,
            to_party_id=to_party[1] if to_party else None,
        )
    )


def _is_unclaimed(record: OutboxRecord, now: datetime) -> bool:
    return record.locked_until is None or record.locked_until < now
