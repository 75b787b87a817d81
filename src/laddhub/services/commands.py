"""The Commands receiver (spec §10): what a CPO answers at once, and what it hands to its chargers.

A command gets a synchronous CommandResponse that says only whether the CPO could pass it on: ACCEPTED,
REJECTED (not this eMSP's session or token, an unknown EVSE or connector, a connector that must be named),
NOT_SUPPORTED (the EVSE lacks the capability), UNKNOWN_SESSION; an unknown Location is also OCPI status
2003. Tokens in START_SESSION and RESERVE_NOW are pre-authorised by the eMSP and are not validated, but an
eMSP may only use its own. An accepted command is stored as a charger request; the charger's result (or
TIMEOUT, when an offline charger never answers) is POSTed to the command's response_url later.

Reservations are kept under the eMSP's (country, party, reservation_id) and handed to chargers under an id
of our own, unique across eMSPs (`chargers.reservations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from laddhub.chargers.reservations import (
    KnownReservation,
    Placement,
    ReservationStatus,
    place,
    reservation_key,
)
from laddhub.ocpi.common import DisplayText, ci_key, unknown_fields
from laddhub.ocpi.status import InvalidParameters, StatusCode
from laddhub.ocpi.v2_2_1.commands import (
    CancelReservation,
    CommandResponse,
    CommandResponseType,
    CommandType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from laddhub.ocpi.v2_2_1.locations import EVSE, Capability, Location, Status
from laddhub.ocpi.v2_2_1.sessions import SessionStatus
from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.ocpi.validation import describe_validation_error
from laddhub.services.charger_requests import Parties, RequestKind, Target, submit
from laddhub.services.smart_charging import our_session
from laddhub.store.charging_records import ReservationRecord
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWork

_MODELS: dict[CommandType, type[BaseModel]] = {
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
_OUT_OF_SERVICE = frozenset({Status.INOPERATIVE, Status.OUTOFORDER, Status.PLANNED, Status.REMOVED})


@dataclass(frozen=True, slots=True)
class CommandCall:
    """Who sends a command to which of our parties, and how our chargers answer."""

    caller: PartnerRecord
    ours: tuple[str, str]
    theirs: tuple[str, str]
    chargers_reachable: bool
    answer_after: timedelta
    timeout_s: int
    now: datetime


@dataclass(frozen=True, slots=True)
class CommandReply:
    """The CommandResponse and the OCPI status code of the envelope it travels in (2003 or 1000)."""

    response: CommandResponse
    status_code: int = StatusCode.SUCCESS


class _Refused(Exception):
    def __init__(self, result: CommandResponseType, message: str, status_code: int = StatusCode.SUCCESS):
        super().__init__(message)
        self.result = result
        self.message = message
        self.status_code = status_code


def parse_command(command: CommandType, payload: Any) -> BaseModel:
    """The command body as its OCPI model; 2001 naming every bad field."""
    if not isinstance(payload, dict):
        raise InvalidParameters(f"expected a JSON object ({command.value}), got {type(payload).__name__}")
    model = _MODELS[command]
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc)) from None


def extra_fields(command: CommandType, payload: Any) -> list[str]:
    """Fields of the body the command does not define (logged as a warning by the API)."""
    return unknown_fields(_MODELS[command], payload)


def _response(call: CommandCall, result: CommandResponseType, message: str | None) -> CommandResponse:
    messages = [DisplayText(language="en", text=message)] if message else []
    return CommandResponse(result=result, timeout=call.timeout_s, message=messages)


def _caller_owns(call: CommandCall, country_code: str, party_id: str) -> bool:
    wanted = (ci_key(country_code), ci_key(party_id))
    return any((ci_key(r.country_code), ci_key(r.party_id)) == wanted for r in call.caller.roles)


def _own_token(call: CommandCall, token: Token) -> None:
    if not _caller_owns(call, token.country_code, token.party_id):
        raise _Refused(
            CommandResponseType.REJECTED,
            f"token of {token.country_code}/{token.party_id}: an eMSP may only use its own tokens",
        )


async def _location(uow: UnitOfWork, call: CommandCall, location_id: str) -> Location:
    record = await uow.locations.get(call.ours[0], call.ours[1], location_id)
    if record is None or record.partner_id is not None:
        raise _Refused(
            CommandResponseType.REJECTED, f"unknown Location {location_id}", StatusCode.UNKNOWN_LOCATION
        )
    return uow.locations.parse(record)


def _evse(location: Location, evse_uid: str) -> EVSE:
    evse = next((e for e in location.evses if ci_key(e.uid) == ci_key(evse_uid)), None)
    if evse is None or evse.status is Status.REMOVED:
        raise _Refused(CommandResponseType.REJECTED, f"Location {location.id} has no EVSE {evse_uid}")
    return evse


def _capable(evse: EVSE, capability: Capability) -> None:
    if capability not in evse.capabilities:
        raise _Refused(CommandResponseType.NOT_SUPPORTED, f"EVSE {evse.uid} lacks {capability.value}")


def _any_capable(location: Location, capability: Capability) -> None:
    if not any(capability in e.capabilities and e.status not in _OUT_OF_SERVICE for e in location.evses):
        raise _Refused(
            CommandResponseType.NOT_SUPPORTED, f"no EVSE of Location {location.id} has {capability.value}"
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to hand to the chargers for an accepted command."""

    kind: RequestKind
    target: Target
    payload: dict[str, Any]
    offline: bool


async def receive_command(
    uow: UnitOfWork, command: CommandType, payload: Any, call: CommandCall
) -> CommandReply:
    """Decide the synchronous answer to a command and, when it is ACCEPTED, hand it to the chargers.

    Invalid bodies raise 2001 (`InvalidParameters`); every other refusal is a CommandResponse.
    """
    model = parse_command(command, payload)
    try:
        plan = await _plan(uow, command, model, call)
    except _Refused as refused:
        return CommandReply(_response(call, refused.result, refused.message), refused.status_code)
    if not call.chargers_reachable:
        message = "no charger is reachable: this node runs neither chargers nor the simulator"
        return CommandReply(_response(call, CommandResponseType.REJECTED, message))
    await submit(
        uow,
        partner_id=call.caller.id,
        kind=plan.kind,
        target=plan.target,
        parties=Parties(call.ours, call.theirs),
        payload=plan.payload,
        response_url=str(payload["response_url"]),
        now=call.now,
        answer_after=None if plan.offline else call.answer_after,
        wait_at_most=timedelta(seconds=call.timeout_s),
    )
    return CommandReply(_response(call, CommandResponseType.ACCEPTED, None))


async def _plan(uow: UnitOfWork, command: CommandType, model: BaseModel, call: CommandCall) -> _Plan:
    if isinstance(model, StartSession):
        return await _start(uow, model, call)
    if isinstance(model, StopSession):
        return await _stop(uow, model, call)
    if isinstance(model, ReserveNow):
        return await _reserve(uow, model, call)
    if isinstance(model, CancelReservation):
        return await _cancel(uow, model, call)
    if isinstance(model, UnlockConnector):
        return await _unlock(uow, model, call)
    raise InvalidParameters(f"command {command.value} is not known")


def _target(call: CommandCall, location: Location, evse: EVSE | None) -> Target:
    return Target(call.ours[0], call.ours[1], location.id, None if evse is None else evse.uid)


async def _start(uow: UnitOfWork, start: StartSession, call: CommandCall) -> _Plan:
    _own_token(call, start.token)
    location = await _location(uow, call, start.location_id)
    evse = None
    if start.evse_uid is not None:
        evse = _evse(location, start.evse_uid)
        _capable(evse, Capability.REMOTE_START_STOP_CAPABLE)
        if start.connector_id is not None and not any(
            ci_key(c.id) == ci_key(start.connector_id) for c in evse.connectors
        ):
            raise _Refused(
                CommandResponseType.REJECTED, f"EVSE {evse.uid} has no connector {start.connector_id}"
            )
        if start.connector_id is None and Capability.START_SESSION_CONNECTOR_REQUIRED in evse.capabilities:
            raise _Refused(
                CommandResponseType.REJECTED,
                f"EVSE {evse.uid} needs connector_id (START_SESSION_CONNECTOR_REQUIRED)",
            )
    else:
        _any_capable(location, Capability.REMOTE_START_STOP_CAPABLE)
    offline = evse is not None and evse.status is Status.UNKNOWN
    return _Plan(RequestKind.START_SESSION, _target(call, location, evse), start.to_ocpi(), offline)


async def _stop(uow: UnitOfWork, stop: StopSession, call: CommandCall) -> _Plan:
    session = await our_session(uow, call.ours, stop.session_id)
    if session is None:
        raise _Refused(CommandResponseType.UNKNOWN_SESSION, f"unknown session {stop.session_id}")
    if not _caller_owns(call, session.cdr_token.country_code, session.cdr_token.party_id):
        raise _Refused(CommandResponseType.REJECTED, "the session is not one of your tokens")
    if session.status in (SessionStatus.COMPLETED, SessionStatus.INVALID):
        raise _Refused(CommandResponseType.REJECTED, f"session {session.id} has already ended")
    location = await _location(uow, call, session.location_id)
    evse = next((e for e in location.evses if ci_key(e.uid) == ci_key(session.evse_uid)), None)
    offline = evse is not None and evse.status is Status.UNKNOWN
    target = Target(call.ours[0], call.ours[1], location.id, session.evse_uid, session.id)
    return _Plan(RequestKind.STOP_SESSION, target, stop.to_ocpi(), offline)


async def _unlock(uow: UnitOfWork, unlock: UnlockConnector, call: CommandCall) -> _Plan:
    location = await _location(uow, call, unlock.location_id)
    evse = _evse(location, unlock.evse_uid)
    if not any(ci_key(c.id) == ci_key(unlock.connector_id) for c in evse.connectors):
        raise _Refused(
            CommandResponseType.REJECTED, f"EVSE {evse.uid} has no connector {unlock.connector_id}"
        )
    _capable(evse, Capability.UNLOCK_CAPABLE)
    offline = evse.status is Status.UNKNOWN
    return _Plan(RequestKind.UNLOCK_CONNECTOR, _target(call, location, evse), unlock.to_ocpi(), offline)


async def _stored_reservation(uow: UnitOfWork, key: tuple[str, str, str]) -> ReservationRecord | None:
    statement = select(ReservationRecord).where(
        ReservationRecord.emsp_country_code == key[0],
        ReservationRecord.emsp_party_id == key[1],
        ReservationRecord.reservation_key == key[2],
    )
    found: ReservationRecord | None = (
        await uow.session.execute(statement.with_for_update())
    ).scalar_one_or_none()
    return found


async def _reserve(uow: UnitOfWork, reserve: ReserveNow, call: CommandCall) -> _Plan:
    _own_token(call, reserve.token)
    location = await _location(uow, call, reserve.location_id)
    evse = None
    if reserve.evse_uid is not None:
        evse = _evse(location, reserve.evse_uid)
        _capable(evse, Capability.RESERVABLE)
    else:
        _any_capable(location, Capability.RESERVABLE)
    if reserve.expiry_date <= call.now:
        raise _Refused(CommandResponseType.REJECTED, "expiry_date lies in the past")
    key = reservation_key(reserve.token.country_code, reserve.token.party_id, reserve.reservation_id)
    stored = await _stored_reservation(uow, key)
    known = (
        None
        if stored is None
        else KnownReservation(stored.id, stored.location_key, ReservationStatus(stored.status))
    )
    placement = place(known, reserve.location_id)
    if placement is Placement.CONFLICT:
        raise _Refused(
            CommandResponseType.REJECTED,
            f"reservation_id {reserve.reservation_id} is held at another Location; cancel it first",
        )
    if stored is not None and placement is Placement.REPLACE:
        if evse is not None and stored.evse_key is not None and stored.evse_key != ci_key(evse.uid):
            raise _Refused(
                CommandResponseType.REJECTED,
                f"reservation_id {reserve.reservation_id} holds another EVSE; cancel it to move it",
            )
        stored.request = reserve.model_dump_json()
        stored.expiry = reserve.expiry_date
        stored.response_url = reserve.response_url
        stored.updated_at = call.now
        record = stored
        target_evse = evse.uid if evse is not None else stored.evse_key
    else:
        if stored is not None:
            await uow.session.delete(stored)
            await uow.session.flush()
        record = ReservationRecord(
            partner_id=call.caller.id,
            emsp_country_code=key[0],
            emsp_party_id=key[1],
            reservation_key=key[2],
            reservation_id=reserve.reservation_id,
            country_code=ci_key(location.country_code),
            party_id=ci_key(location.party_id),
            location_key=ci_key(location.id),
            evse_key=None if evse is None else ci_key(evse.uid),
            status=ReservationStatus.REQUESTED.value,
            expiry=reserve.expiry_date,
            response_url=reserve.response_url,
            request=reserve.model_dump_json(),
            created_at=call.now,
            updated_at=call.now,
        )
        uow.session.add(record)
        await uow.session.flush()
        target_evse = None if evse is None else evse.uid
    offline = evse is not None and evse.status is Status.UNKNOWN
    target = Target(call.ours[0], call.ours[1], location.id, target_evse)
    return _Plan(RequestKind.RESERVE_NOW, target, {"reservation": record.id}, offline)


async def _cancel(uow: UnitOfWork, cancel: CancelReservation, call: CommandCall) -> _Plan:
    stored = None
    for role in call.caller.roles:
        stored = await _stored_reservation(
            uow, reservation_key(role.country_code, role.party_id, cancel.reservation_id)
        )
        if stored is not None:
            break
    if stored is None:
        raise _Refused(CommandResponseType.REJECTED, f"unknown reservation_id {cancel.reservation_id}")
    if not ReservationStatus(stored.status).holds_the_evse:
        raise _Refused(
            CommandResponseType.REJECTED, f"reservation {cancel.reservation_id} has ended ({stored.status})"
        )
    location = await _location(uow, call, stored.location_key)
    evse = None if stored.evse_key is None else _evse(location, stored.evse_key)
    offline = evse is not None and evse.status is Status.UNKNOWN
    target = Target(
        call.ours[0], call.ours[1], location.id, None if evse is None else evse.uid, stored.session_key
    )
    return _Plan(RequestKind.CANCEL_RESERVATION, target, {"reservation": stored.id}, offline)
