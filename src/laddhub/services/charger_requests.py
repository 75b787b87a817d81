"""Requests partners send to our chargers (commands, charging-profile requests), from receipt to result.

A request is accepted synchronously and stored; the charger acts on it when it is due (after its answer
delay) and the result is owed to the request's `response_url`. A request the charger has not answered by
its deadline (it is offline) is answered for it: TIMEOUT for a command, REJECTED for a profile request
(whose result type has no timeout). Storing requests means a node restart neither forgets a command it
accepted nor the timeout it promised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from laddhub.ocpi.common import DisplayText, ci_key
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfileResultType
from laddhub.ocpi.v2_2_1.commands import CommandResult, CommandResultType
from laddhub.services.callbacks import Purpose, owe
from laddhub.store.charging_records import ChargerRequestRecord
from laddhub.store.uow import UnitOfWork

log = logging.getLogger("laddhub.commands")

PENDING = "PENDING"
ANSWERED = "ANSWERED"


class RequestKind(StrEnum):
    """What a partner asks a charger to do."""

    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    RESERVE_NOW = "RESERVE_NOW"
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"
    SET_PROFILE = "SET_PROFILE"
    GET_PROFILE = "GET_PROFILE"
    CLEAR_PROFILE = "CLEAR_PROFILE"

    @property
    def is_command(self) -> bool:
        return self not in (RequestKind.SET_PROFILE, RequestKind.GET_PROFILE, RequestKind.CLEAR_PROFILE)


@dataclass(frozen=True, slots=True)
class Target:
    """The charger a request is for: our Location's owner and ids, and the session if there is one."""

    country_code: str
    party_id: str
    location_id: str | None = None
    evse_uid: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Parties:
    """Who answers (our CPO party) and who asked (the partner's party): the result's routing headers."""

    ours: tuple[str, str]
    theirs: tuple[str, str]


async def submit(
    uow: UnitOfWork,
    *,
    partner_id: int,
    kind: RequestKind,
    target: Target,
    parties: Parties,
    payload: dict[str, Any],
    response_url: str,
    now: datetime,
    answer_after: timedelta | None,
    wait_at_most: timedelta,
) -> ChargerRequestRecord:
    """Store a request for the charger: it acts `answer_after` from now (None: it will not answer), and is
    answered for it after `wait_at_most`."""
    record = ChargerRequestRecord(
        partner_id=partner_id,
        kind=kind.value,
        country_code=ci_key(target.country_code),
        party_id=ci_key(target.party_id),
        location_key=None if target.location_id is None else ci_key(target.location_id),
        evse_key=None if target.evse_uid is None else ci_key(target.evse_uid),
        session_key=None if target.session_id is None else ci_key(target.session_id),
        payload=json.dumps({"request": payload, "ours": parties.ours, "theirs": parties.theirs}),
        response_url=response_url,
        state=PENDING,
        created_at=now,
        due_at=None if answer_after is None else now + answer_after,
        deadline=now + wait_at_most,
    )
    uow.session.add(record)
    await uow.session.flush()
    return record


def request_body(record: ChargerRequestRecord) -> dict[str, Any]:
    """The request as the partner sent it (validated when it was received)."""
    body: dict[str, Any] = json.loads(record.payload)["request"]
    return body


def _parties(record: ChargerRequestRecord) -> Parties:
    stored = json.loads(record.payload)
    ours, theirs = stored["ours"], stored["theirs"]
    return Parties((str(ours[0]), str(ours[1])), (str(theirs[0]), str(theirs[1])))


async def answer(
    uow: UnitOfWork, record: ChargerRequestRecord, result: dict[str, Any], *, label: str, now: datetime
) -> None:
    """Mark the request answered and owe `result` (a JSON body) to its response_url."""
    kind = RequestKind(record.kind)
    record.state = ANSWERED
    record.result = label
    parties = _parties(record)
    await owe(
        uow,
        partner_id=record.partner_id,
        purpose=Purpose.COMMAND_RESULT if kind.is_command else Purpose.CHARGING_PROFILE_RESULT,
        method="POST",
        url=record.response_url,
        payload=result,
        ours=parties.ours,
        theirs=parties.theirs,
        now=now,
    )
    log.info("%s request %d answered %s", kind.value, record.id, label)


async def owe_result(
    uow: UnitOfWork,
    *,
    partner_id: int,
    url: str,
    result: dict[str, Any],
    ours: tuple[str, str],
    theirs: tuple[str, str],
    now: datetime,
) -> None:
    """Owe a CommandResult that answers no pending request: the CPO cancelling a reservation tells the
    eMSP at the response_url of the RESERVE_NOW that made it (spec §10.1)."""
    await owe(
        uow,
        partner_id=partner_id,
        purpose=Purpose.COMMAND_RESULT,
        method="POST",
        url=url,
        payload=result,
        ours=ours,
        theirs=theirs,
        now=now,
    )


def command_result(result: CommandResultType, message: str | None = None) -> dict[str, Any]:
    """A CommandResult body, with an English message when there is something to explain."""
    messages = [DisplayText(language="en", text=message)] if message else []
    return CommandResult(result=result, message=messages).to_ocpi()


async def due(uow: UnitOfWork, now: datetime) -> Sequence[ChargerRequestRecord]:
    """Requests the chargers should act on now, oldest first."""
    statement = (
        select(ChargerRequestRecord)
        .where(
            ChargerRequestRecord.state == PENDING,
            ChargerRequestRecord.due_at.is_not(None),
            ChargerRequestRecord.due_at <= now,
        )
        .order_by(ChargerRequestRecord.id)
    )
    return (await uow.session.execute(statement)).scalars().all()


async def pending(uow: UnitOfWork, request_id: int, *, lock: bool) -> ChargerRequestRecord | None:
    """A request that is still waiting for its result (locked for the caller on PostgreSQL)."""
    statement = select(ChargerRequestRecord).where(
        ChargerRequestRecord.id == request_id, ChargerRequestRecord.state == PENDING
    )
    if lock:
        statement = statement.with_for_update()
    found: ChargerRequestRecord | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return found


async def answer_overdue(uow: UnitOfWork, now: datetime) -> int:
    """Answer every request past its deadline for the charger that did not; return how many."""
    statement = (
        select(ChargerRequestRecord)
        .where(ChargerRequestRecord.state == PENDING, ChargerRequestRecord.deadline <= now)
        .order_by(ChargerRequestRecord.id)
        .with_for_update(skip_locked=True)
    )
    overdue = (await uow.session.execute(statement)).scalars().all()
    for record in overdue:
        if RequestKind(record.kind).is_command:
            body = command_result(CommandResultType.TIMEOUT, "the charger did not answer in time")
            await answer(uow, record, body, label=CommandResultType.TIMEOUT.value, now=now)
        else:
            body = {"result": ChargingProfileResultType.REJECTED.value}
            await answer(uow, record, body, label="TIMEOUT", now=now)
    return len(overdue)


async def next_due_at(uow: UnitOfWork) -> datetime | None:
    """The earliest moment a pending request needs attention (its answer or its deadline)."""
    due_at = (
        await uow.session.execute(
            select(func.min(ChargerRequestRecord.due_at)).where(ChargerRequestRecord.state == PENDING)
        )
    ).scalar_one_or_none()
    deadline = (
        await uow.session.execute(
            select(func.min(ChargerRequestRecord.deadline)).where(ChargerRequestRecord.state == PENDING)
        )
    ).scalar_one_or_none()
    moments = [m for m in (due_at, deadline) if m is not None]
    return min(moments) if moments else None
