"""Results owed to partners at URLs of their choosing, delivered reliably.

A command's CommandResult, a charging-profile request's result and the ActiveChargingProfile updates a CPO
sends to a profile's sender all go to a URL the partner chose. They are not outbox pushes (no object to
coalesce, no Receiver endpoint), but a partner waits for them, so they must not get lost: `owe` writes one
in the transaction that decides it, and `CallbackDeliverer` sends it, retrying a few times with backoff
(the spec foresees no retries, but a result lost to a short outage helps nobody), and leaves it FAILED for
the operator after the last attempt. A restart resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from laddhub.ocpi.client import PartnerError, Party, Routing
from laddhub.services.partner_clients import ClientFactory
from laddhub.services.partner_directory import client_for
from laddhub.services.push.backoff import Backoff
from laddhub.store.charging_records import CallbackRecord
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("laddhub.callbacks")

PENDING = "PENDING"
FAILED = "FAILED"
_BATCH = 50


class Purpose(StrEnum):
    """What a callback carries (for the operator's view and the logs)."""

    COMMAND_RESULT = "COMMAND_RESULT"
    CHARGING_PROFILE_RESULT = "CHARGING_PROFILE_RESULT"
    ACTIVE_CHARGING_PROFILE = "ACTIVE_CHARGING_PROFILE"


def party_text(party: tuple[str, str]) -> str:
    """A party as stored in a callback: ``NL/CPO``."""
    return f"{party[0]}/{party[1]}"


def _party(text: str) -> Party:
    country, _, party = text.partition("/")
    return Party(country, party)


async def owe(
    uow: UnitOfWork,
    *,
    partner_id: int,
    purpose: Purpose,
    method: str,
    url: str,
    payload: dict[str, Any],
    ours: tuple[str, str],
    theirs: tuple[str, str],
    now: datetime,
) -> None:
    """Record a result to send to a partner, in the caller's transaction; it goes out once committed."""
    uow.session.add(
        CallbackRecord(
            partner_id=partner_id,
            purpose=purpose.value,
            method=method,
            url=url,
            payload=json.dumps(payload, separators=(",", ":")),
            from_party=party_text(ours),
            to_party=party_text(theirs),
            state=PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How often to try and how long to back off between tries; `lease` covers one call."""

    attempts: int
    backoff: Backoff
    lease: timedelta


class CallbackDeliverer:
    """Sends owed results. Safe to run in several places at once: each row is claimed before it is sent."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clients: ClientFactory,
        config: DeliverySettings,
        *,
        clock: Callable[[], datetime],
        rng: Random | None = None,
    ) -> None:
        self._uow = uow
        self._clients = clients
        self._config = config
        self._clock = clock
        self._rng = rng or Random()

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending result is due (for the loop's sleep)."""
        async with self._uow() as uow:
            due = await uow.session.execute(
                select(func.min(CallbackRecord.next_attempt_at)).where(CallbackRecord.state == PENDING)
            )
            value: datetime | None = due.scalar_one_or_none()
            return value

    async def run_due(self) -> int:
        """Send every result that is due now; return how many were sent (successfully or not)."""
        now = self._clock()
        async with self._uow() as uow:
            ids = (
                (
                    await uow.session.execute(
                        select(CallbackRecord.id)
                        .where(CallbackRecord.state == PENDING, CallbackRecord.next_attempt_at <= now)
                        .order_by(CallbackRecord.id)
                        .limit(_BATCH)
                    )
                )
                .scalars()
                .all()
            )
        sent = 0
        for callback_id in ids:
            claimed = await self._claim(callback_id, now)
            if claimed is not None:
                await self._deliver(*claimed)
                sent += 1
        return sent

    async def _claim(self, callback_id: int, now: datetime) -> tuple[CallbackRecord, PartnerRecord] | None:
        async with self._uow() as uow:
            result = await uow.session.execute(
                update(CallbackRecord)
                .where(
                    CallbackRecord.id == callback_id,
                    CallbackRecord.state == PENDING,
                    CallbackRecord.next_attempt_at <= now,
                    or_(CallbackRecord.locked_until.is_(None), CallbackRecord.locked_until < now),
                )
                .values(locked_until=now + self._config.lease, attempts=CallbackRecord.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                await uow.rollback()
                return None
            await uow.commit()
            record = await uow.session.get(CallbackRecord, callback_id)
            partner = None if record is None else await uow.partners.get(record.partner_id)
            if record is None or partner is None:
                return None
            return record, partner

    async def _deliver(self, record: CallbackRecord, partner: PartnerRecord) -> None:
        client = client_for(partner, self._clients)
        error: str | None
        if client is None:
            error = f"no credentials to call partner {partner.name} with"
        else:
            routing = Routing(_party(record.from_party), _party(record.to_party))
            try:
                await client.call(record.method, record.url, body=json.loads(record.payload), routing=routing)
                error = None
            except PartnerError as exc:
                error = exc.message
        await self._record(record, error)

    async def _record(self, record: CallbackRecord, error: str | None) -> None:
        now = self._clock()
        async with self._uow() as uow:
            if error is None:
                await uow.session.execute(delete(CallbackRecord).where(CallbackRecord.id == record.id))
                log.debug("delivered %s to %s", record.purpose, record.url)
            elif record.attempts >= self._config.attempts:
                await uow.session.execute(
                    update(CallbackRecord)
                    .where(CallbackRecord.id == record.id)
                    .values(state=FAILED, locked_until=None, last_error=error)
                )
                log.warning(
                    "%s to %s failed for good after %d attempts: %s",
                    record.purpose,
                    record.url,
                    record.attempts,
                    error,
                )
            else:
                delay = self._config.backoff.delay(record.attempts, self._rng)
                await uow.session.execute(
                    update(CallbackRecord)
                    .where(CallbackRecord.id == record.id)
                    .values(next_attempt_at=now + delay, locked_until=None, last_error=error)
                )
                log.info(
                    "%s to %s not delivered (attempt %d, next in %.1fs): %s",
                    record.purpose,
                    record.url,
                    record.attempts,
                    delay.total_seconds(),
                    error,
                )
            await uow.commit()
